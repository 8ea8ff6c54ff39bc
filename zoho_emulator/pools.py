"""Value pools both products draw seeded strings from: unicode, commas, parentheses, quotes."""

from __future__ import annotations

FIRST: tuple[str, ...] = (
    "Ada",
    "Zoë",
    "José",
    "Björn",
    "Chloé",
    "Ngozi",
    "Mateus",
    "Øyvind",
    "Siobhán",
)
FIRST += ("Hiroshi", "Amélie", "Dmitri", "Fatima", "Liam", "Ana Lúcia", "Kwame", "Ines")
LAST: tuple[str, ...] = (
    "Okafor",
    "Müller",
    "O'Connor",
    "García",
    "Nakamura",
    "Søndergaard",
    "Smith",
)
LAST += ("Dubois", "Kowalski", "Nguyễn", "Van der Berg", "D'Angelo", "Ólafsson", "Chen")
COMPANIES: tuple[str, ...] = (
    "Acme, Inc.",
    "Müller & Söhne (GmbH)",
    '"Quoted" Holdings',
    "Nordic Fjord AS",
)
COMPANIES += ("São Paulo Logística", "東京トレーディング", "O'Reilly (Europe), Ltd")
COMPANIES += ("Smith, Jones & Co", "Café Crème", "Zürich Re (Schweiz)", "Back\\Slash LLC")
CITIES = ("Zürich", "São Paulo", "Kraków", "Reykjavík", "Montréal", "Austin", "Tōkyō", "Lagos")
COUNTRIES = ("United States", "Deutschland", "Brasil", "Polska", "Ísland", "Canada", "日本")
STREETS = ("1 Main St.", "Rua Augusta, 1500", "ul. Floriańska 3/5", "12 (rear) Baker Street")
TITLES = ("CEO", "VP, Sales", "Head of IT (EMEA)", 'Lead "Ninja"', "Directrice générale")
DOMAINS = ("example.test", "mail.example.test", "exemple.test")
