import { useTitle } from "../hooks/use-title";

export function NotFoundPage() {
  useTitle("Not found");
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is nothing here. <a href="/">Go to the home page</a>.
      </p>
    </>
  );
}
