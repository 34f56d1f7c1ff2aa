"""Markup variants of the same site: a "redesign" changes tags, class names and wrappers, never the data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    name: str
    list_tag: str  # the element holding the product cards
    list_class: str
    card_tag: str
    card_class: str
    card_body_class: str | None  # an extra wrapper inside each card, or none
    card_title_tag: str
    card_title_class: str
    link_class: str
    price_tag: str
    price_class: str
    old_price_class: str
    rating_class: str
    stock_class: str
    pagination_class: str
    next_class: str
    prev_class: str
    title_class: str  # the product page's h1
    description_class: str
    breadcrumb_class: str


CLASSIC = Theme(
    name="classic",
    list_tag="div",
    list_class="products",
    card_tag="article",
    card_class="product-card",
    card_body_class=None,
    card_title_tag="h2",
    card_title_class="product-title",
    link_class="product-link",
    price_tag="span",
    price_class="price",
    old_price_class="old-price",
    rating_class="rating",
    stock_class="stock",
    pagination_class="pagination",
    next_class="next",
    prev_class="prev",
    title_class="product-title",
    description_class="description",
    breadcrumb_class="breadcrumb",
)

REDESIGN = Theme(
    name="redesign",
    list_tag="ul",
    list_class="catalog-grid",
    card_tag="li",
    card_class="tile",
    card_body_class="tile__body",
    card_title_tag="h3",
    card_title_class="tile__name",
    link_class="tile__link",
    price_tag="p",
    price_class="tile__price",
    old_price_class="tile__was",
    rating_class="tile__stars",
    stock_class="tile__availability",
    pagination_class="pager",
    next_class="pager__next",
    prev_class="pager__prev",
    title_class="pdp__title",
    description_class="pdp__copy",
    breadcrumb_class="crumbs",
)

THEMES = {theme.name: theme for theme in (CLASSIC, REDESIGN)}


def get_theme(name: str) -> Theme:
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r}; choose one of {sorted(THEMES)}") from None
