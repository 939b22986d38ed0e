"""Rendered fragments kept in the cache: the rows of a list that do not change between two
views of it (a notice once written, until it is read) are rendered once and read back in one
round trip for the whole page.

A fragment is rendered from its own template with only the context its key names, never the
request's: no CSRF token, no other user's data and nothing the key does not cover can get into
it. Keys carry a digest of the template's source, so a changed template renders afresh after a
deploy, and the key's own parts (the record's id and whatever about it can change).
"""

import hashlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from django.core.cache import cache
from django.template.loader import get_template
from django.utils.safestring import SafeString

FRAGMENT_TTL = 24 * 60 * 60  # seconds


@lru_cache(maxsize=64)
def _template_digest(template_name: str) -> str:
    source = get_template(template_name).template.source  # type: ignore[attr-defined]
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def short_digest(text: str) -> str:
    """A short, stable stand-in for a key part that may be long (a URL)."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def cached_fragments[T](
    template_name: str,
    items: Sequence[T],
    *,
    key: Callable[[T], str],
    contexts: Callable[[list[T]], list[dict[str, Any]]],
) -> list[SafeString]:
    """Each item rendered with `template_name`, from the cache where it was rendered before.

    `items` may be light stand-ins (ids and what can change). `key(item)` must name
    everything about the item that the template shows and that can change. `contexts` is
    called once, with the items not found in the cache, and returns each one's context in
    the same order: all its template receives, loaded in one batch.
    """
    template = get_template(template_name)
    prefix = f"portal:fragment:{template_name}:{_template_digest(template_name)}:"
    keys = [prefix + key(item) for item in items]
    found: dict[str, str] = cache.get_many(keys)
    missing = [(k, item) for k, item in zip(keys, items, strict=True) if k not in found]
    if missing:
        loaded = contexts([item for _, item in missing])
        fresh = {k: template.render(c) for (k, _), c in zip(missing, loaded, strict=True)}
        cache.set_many(fresh, FRAGMENT_TTL)
        found.update(fresh)
    # Rendered by our own template with autoescaping on, as {% include %} would be.
    return [SafeString(found[k]) for k in keys]


def cached_block[T, R](
    template_name: str,
    items: Sequence[T],
    *,
    key: Callable[[T], str],
    contexts: Callable[[list[T]], list[dict[str, Any]]],
    assemble: Callable[[list[SafeString]], R],
) -> R:
    """`assemble(fragments)` for a whole page of items, kept as one cache entry under a
    digest of every item's key: a page seen before is one read, not one per row. Built from
    `cached_fragments` when missing, so a page that shares most rows with one seen before
    (a person's verdict changed) renders only what changed."""
    digest = _template_digest(template_name)
    block_key = "portal:block:{}:{}:{}".format(
        template_name, digest, short_digest("\n".join(key(item) for item in items))
    )
    block: R | None = cache.get(block_key)
    if block is None:
        block = assemble(cached_fragments(template_name, items, key=key, contexts=contexts))
        cache.set(block_key, block, FRAGMENT_TTL)
    return block
