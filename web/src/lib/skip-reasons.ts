import { SKIP_REASONS, type SkipReason } from "../../../worker/domain/launch-skips";
import { t } from "../i18n";

const isSkipReason = (reason: string): reason is SkipReason => (SKIP_REASONS as readonly string[]).includes(reason);

/**
 * A recipient's reason in words when it is why the launch skipped them; any other reason as the API gives it.
 * @example reasonText("frequency_cap") // "Over the frequency cap"
 */
export const reasonText = (reason: string | null): string => (reason === null ? "" : isSkipReason(reason) ? t(`capPrefs.reason.${reason}`) : reason);
