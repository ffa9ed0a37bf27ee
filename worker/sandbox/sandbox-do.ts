import { DurableObject } from "cloudflare:workers";

/** The simulated WhatsApp Cloud API for one phone number (being built). */
export class WhatsAppSandbox extends DurableObject<Env> {}
