"""The test site's products: a pure, seeded generator, the same at any size (a smaller catalogue is a prefix)."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from functools import cached_property

from tests.site.themes import get_theme

DEFAULT_SIZE = 2000
DEFAULT_SEED = 20261122
PER_PAGE = 24


class PriceStyle(Enum):
    """How a price is written on the page: the engine's price parser must read all three."""

    DOLLAR = "dollar"  # $1,234.56
    EURO_PREFIX = "euro_prefix"  # €1,234.56
    EURO_SUFFIX = "euro_suffix"  # 1.234,56 €


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    code: str


CATEGORIES = (
    Category("lighting", "Lighting", "LGT"),
    Category("furniture", "Furniture", "FRN"),
    Category("kitchen", "Kitchen & Dining", "KIT"),
    Category("textiles", "Textiles", "TXT"),
    Category("outdoor", "Outdoor", "OUT"),
    Category("office", "Office", "OFC"),
    Category("decor", "Décor", "DEC"),
    Category("storage", "Storage", "STO"),
)

# Brands include an ampersand, an apostrophe and non-ASCII letters so extraction meets entities and UTF-8.
BRANDS = ("Nordlicht", "Café & Co", "Müller", "O'Neil", "Atelier Ève", "Kōbō", "Brightwell", "Hollis")
ADJECTIVES = ("Classic", "Compact", "Deluxe", "Rustic", "Modern", "Vintage", "Slim", "Sturdy", "Soft", "Bold")
MATERIALS = ("Oak", "Walnut", "Linen", "Brass", "Ceramic", "Wool", "Steel", "Bamboo", "Marble", "Cotton")
NOUNS = {
    "lighting": ("Desk Lamp", "Floor Lamp", "Pendant Light", "Lantern", "Wall Sconce"),
    "furniture": ("Armchair", "Side Table", "Bookshelf", "Bench", "Stool"),
    "kitchen": ("Mug Set", "Serving Bowl", "Teapot", "Cutting Board", "Carafe"),
    "textiles": ("Throw Blanket", "Cushion Cover", "Table Runner", "Rug", "Curtain"),
    "outdoor": ("Planter", "Deck Chair", "Bird Feeder", "Parasol", "Hammock"),
    "office": ("Desk Organizer", "Notebook", "Pen Holder", "Monitor Stand", "Letter Tray"),
    "decor": ("Vase", "Picture Frame", "Candle Holder", "Mirror", "Wall Clock"),
    "storage": ("Basket", "Storage Box", "Shoe Rack", "Coat Hook", "Trunk"),
}
FILLER_TEXT = (
    "crafted finish everyday durable gentle warm light natural texture careful detail simple honest design "
    "balanced proportion quiet corner morning evening table shelf window garden studio season gift classic "
    "hand-made sustainable sourced tested comfortable generous measured clean line soft edge"
)
WORDS = tuple(FILLER_TEXT.split())


@dataclass(frozen=True)
class Product:
    id: int
    slug: str
    title: str
    brand: str
    category: Category
    sku: str
    price: Decimal
    currency: str
    price_style: PriceStyle
    list_price: Decimal | None  # the struck-through "was" price of a product on sale
    rating: Decimal  # 0.0–5.0, one decimal; 0.0 when there are no reviews
    review_count: int
    in_stock: bool
    description: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"/products/{self.slug}.html"

    @property
    def price_text(self) -> str:
        return format_price(self.price, self.price_style)

    @property
    def list_price_text(self) -> str | None:
        return None if self.list_price is None else format_price(self.list_price, self.price_style)


def format_price(amount: Decimal, style: PriceStyle) -> str:
    english = f"{amount:,.2f}"
    if style is PriceStyle.DOLLAR:
        return f"${english}"
    if style is PriceStyle.EURO_PREFIX:
        return f"€{english}"
    german = english.replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{german} €"


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def generate_product(seed: int, product_id: int) -> Product:
    """One product from its own random stream, so product N is the same whatever the catalogue's size."""
    rng = random.Random(f"scrapeflow-site:{seed}:{product_id}")
    category = rng.choice(CATEGORIES)
    brand = rng.choice(BRANDS)
    title = f"{brand} {rng.choice(ADJECTIVES)} {rng.choice(MATERIALS)} {rng.choice(NOUNS[category.slug])}"
    title = f"{title} {slugify(brand).replace('-', '')[:2].upper()}-{product_id:04d}"
    price = _price(rng)
    style = rng.choices(list(PriceStyle), weights=(90, 5, 5))[0]
    on_sale = rng.random() < 0.15
    list_price = (price * Decimal("1.25")).quantize(Decimal("0.01")) if on_sale else None
    review_count = 0 if rng.random() < 0.08 else min(50_000, int(rng.paretovariate(1.2) * 3))
    rating = Decimal(0) if review_count == 0 else Decimal(min(50, max(10, round(rng.gauss(41, 6))))) / 10
    return Product(
        id=product_id,
        slug=slugify(title),
        title=title,
        brand=brand,
        category=category,
        sku=f"SF-{category.code}-{product_id:05d}",
        price=price,
        currency="USD" if style is PriceStyle.DOLLAR else "EUR",
        price_style=style,
        list_price=list_price,
        rating=rating.quantize(Decimal("0.1")),
        review_count=review_count,
        in_stock=rng.random() < 0.85,
        description=tuple(_paragraph(rng) for _ in range(rng.randint(2, 4))),
    )


def _price(rng: random.Random) -> Decimal:
    # Mostly everyday prices; one in twenty above a thousand so thousands separators show up.
    cents = rng.randint(100_000, 350_000) if rng.random() < 0.05 else int(rng.lognormvariate(3.4, 0.8) * 100) + 99
    return Decimal(cents) / 100


def _paragraph(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(2, 4)):
        words = rng.choices(WORDS, k=rng.randint(6, 14))
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


class Catalog:
    """The products (ids 1..size) and how they fall into list pages; `theme` picks the markup, not the data."""

    def __init__(self, size: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED, theme: str = "classic") -> None:
        if size < 1:
            raise ValueError("a catalogue needs at least one product")
        get_theme(theme)
        self.size, self.seed, self.theme = size, seed, theme
        self.products = tuple(generate_product(seed, product_id) for product_id in range(1, size + 1))
        self.by_slug = {product.slug: product for product in self.products}

    @cached_property
    def by_category(self) -> dict[str, tuple[Product, ...]]:
        return {c.slug: tuple(p for p in self.products if p.category == c) for c in CATEGORIES}

    @property
    def categories(self) -> tuple[Category, ...]:
        return tuple(c for c in CATEGORIES if self.by_category[c.slug])

    def page_count(self, category: str | None = None) -> int:
        items = self.products if category is None else self.by_category[category]
        return max(1, -(-len(items) // PER_PAGE))

    def page(self, number: int, category: str | None = None) -> tuple[Product, ...]:
        """List page `number` (from 1) of all products or of one category."""
        items = self.products if category is None else self.by_category[category]
        return items[(number - 1) * PER_PAGE : number * PER_PAGE]

    def page_of(self, product: Product) -> int:
        return (product.id - 1) // PER_PAGE + 1

    def related(self, product: Product, count: int = 4) -> tuple[Product, ...]:
        """The next products of the same category, wrapping around: every product page links onward."""
        siblings = self.by_category[product.category.slug]
        start = siblings.index(product)
        return tuple(siblings[(start + i) % len(siblings)] for i in range(1, min(count, len(siblings) - 1) + 1))
