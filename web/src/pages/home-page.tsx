import { useTitle } from "../hooks/use-title";
import { session } from "../state/session";

const SECTIONS = [
  { href: "/campaigns", title: "Campaigns", text: "Send a WhatsApp message to an audience and follow its delivery." },
  { href: "/contacts", title: "Contacts", text: "The people you can reach, with their phone numbers and labels." },
  { href: "/labels", title: "Labels", text: "Group contacts so campaigns can target them." },
  { href: "/inboxes", title: "Inboxes", text: "The WhatsApp numbers Herald sends from." },
];

export function HomePage() {
  useTitle("Home");
  const current = session.value;
  return (
    <>
      <h1>Welcome{current ? `, ${current.user.name}` : ""}</h1>
      <p class="muted">Here is what you can do in {current?.workspace.name ?? "this workspace"}.</p>
      <ul class="cards">
        {SECTIONS.map((s) => (
          <li key={s.href} class="card">
            <h2>
              <a href={s.href}>{s.title}</a>
            </h2>
            <p>{s.text}</p>
          </li>
        ))}
      </ul>
    </>
  );
}
