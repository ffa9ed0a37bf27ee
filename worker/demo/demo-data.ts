/** The demo workspace's contacts: deterministic, so loading the demo twice changes nothing. */

const FIRST = [
  "Ana",
  "Bruno",
  "Carla",
  "Diego",
  "Elisa",
  "Felipe",
  "Gabriela",
  "Henrique",
  "Isabela",
  "João",
  "Karina",
  "Lucas",
  "Mariana",
  "Nicolas",
  "Olívia",
  "Paulo",
  "Queila",
  "Rafael",
  "Sofia",
  "Thiago",
  "Úrsula",
  "Vitor",
  "Wesley",
  "Yasmin",
];
const LAST = [
  "Silva",
  "Santos",
  "Oliveira",
  "Souza",
  "Rodrigues",
  "Ferreira",
  "Alves",
  "Pereira",
  "Lima",
  "Gomes",
  "Costa",
  "Ribeiro",
  "Martins",
  "Carvalho",
  "Almeida",
];
const CITIES = [
  { city: "São Paulo", ddd: "11", label: "São Paulo" },
  { city: "Rio de Janeiro", ddd: "21", label: "Rio de Janeiro" },
  { city: "Belo Horizonte", ddd: "31", label: null },
  { city: "Curitiba", ddd: "41", label: null },
] as const;
const PLANS = ["basic", "plus", "premium"] as const;

export const DEMO_LABELS = [
  { name: "Customers", color: "#16a34a" },
  { name: "Leads", color: "#2563eb" },
  { name: "VIP", color: "#ca8a04" },
  { name: "Newsletter", color: "#9333ea" },
  { name: "São Paulo", color: "#dc2626" },
  { name: "Rio de Janeiro", color: "#0891b2" },
] as const;

export const DEMO_CONTACT_COUNT = 300;

export type DemoContact = {
  name: string;
  phone: string;
  attributes: Record<string, string>;
  labels: string[];
  /** Seconds before now of the contact's last message, when it has one. */
  lastInboundAgoS: number | null;
  optedOut: boolean;
};

/** A small deterministic generator, so every workspace gets the same demo people. */
function rng(seed: number) {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/**
 * The demo contacts: Brazilian mobiles, names, city/plan attributes, labels; about a quarter wrote
 * in the last 24 hours (inside the service window) and a few opted out.
 */
export function demoContacts(): DemoContact[] {
  const random = rng(7);
  const out: DemoContact[] = [];
  for (let i = 0; i < DEMO_CONTACT_COUNT; i++) {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(random() * LAST.length)]!;
    const place = CITIES[Math.floor(random() * CITIES.length)]!;
    const customer = random() < 0.7;
    const labels: string[] = [customer ? "Customers" : "Leads"];
    if (customer && random() < 0.15) labels.push("VIP");
    if (random() < 0.5) labels.push("Newsletter");
    if (place.label) labels.push(place.label);
    const recent = random() < 0.25;
    out.push({
      name: `${first} ${last}`,
      phone: `+55${place.ddd}9${String(71_000_000 + i * 379).padStart(8, "0")}`,
      attributes: {
        first_name: first,
        city: place.city,
        plan: customer ? PLANS[Math.floor(random() * PLANS.length)]! : "trial",
        ...(customer ? { last_order: `PED-${10_000 + i}` } : {}),
      },
      labels,
      lastInboundAgoS: recent ? Math.floor(random() * 20 * 3600) + 60 : null,
      optedOut: i % 37 === 36,
    });
  }
  return out;
}
