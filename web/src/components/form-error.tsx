/** An error message announced to screen readers as soon as it appears; renders nothing without one. */
export function FormError({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <div class="alert" role="alert">
      {message}
    </div>
  );
}
