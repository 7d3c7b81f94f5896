# SQL here is built from model metadata (table and column names); words are parameters.
# ruff: noqa: S608, S611
"""Substring search over the big tables without reading them whole.

Django's admin search is ``LIKE '%q%'`` on every search field: a scan of the table, and of
every table joined to it, on each search (and on each count of its results). Here the text
columns of the big tables have a substring index, and the admins that search them say what
they search (``IndexedSearch``), so ``BackOfficeAdmin.get_search_results`` builds a query the
index answers:

- On PostgreSQL, a pg_trgm GIN index on ``UPPER(column)``: exactly the expression Django's
  ``icontains`` emits (``UPPER("col"::text) LIKE UPPER('%q%')``), so ``icontains`` itself uses it.
- On SQLite, an FTS5 table with the trigram tokenizer per model (external content: it holds
  only the index), kept in step with its table by triggers; a word of three characters or more
  is a phrase MATCH on it (a case-insensitive substring match), shorter words fall back to
  ``icontains``.
- A contact is found by the start of a word: of its first name, last name or email (e.g. "garc"
  finds García, "maria.l" her email), each through a B-tree index on ``LOWER(column)``, as the
  dashboard's conversation search does (``starts_with``). A substring index of names and emails
  costs a look-up per trigram whose lists grow with every common name; a prefix is one range.
- Ids are compared whole (equality on their unique index) and phone numbers are normalised to
  E.164 and compared whole on the phone index: no substring search of either.

Migration ``leads.0015`` installs the indexes; ``ensure_search_indexes`` (post_migrate) puts
back SQLite's triggers if a later migration rebuilt a table (SQLite's ALTER does, and drops
its triggers) and then rebuilds that index.
"""

from dataclasses import dataclass

from django.apps import apps
from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils.text import smart_split, unescape_string_literal

# model label -> the text columns its substring index covers (one index per model).
SEARCH_INDEXES = {
    "leads.message": ("body",),
    "buyers.buyerprofile": ("must_haves",),
}
# model label -> the text columns matched by the start of a word (an index on LOWER(column)).
PREFIX_SEARCHES = {
    "leads.contact": ("first_name", "last_name", "email"),
}
MIN_INDEXED_CHARS = 3  # trigrams: a shorter word cannot use the index


@dataclass(frozen=True)
class IndexedSearch:
    """What an admin list searches, so that an index answers it.

    ``text``: the relation whose text index is searched ("" for the model's own, e.g.
    "contact" for a conversation's contact), or several (a buyer's own must-haves and its
    contact's name); ``exact``: ids matched whole; ``phone``: the path of a phone number
    matched whole, however the number is written."""

    text: str | tuple[str, ...] | None = ""
    exact: tuple[str, ...] = ()
    phone: str = ""


def _fts_table(model) -> str:
    return f"{model._meta.db_table}_search"


def starts_with(column: str, prefix: str) -> Q:
    """``column`` starts with ``prefix``, case-insensitive, as a range the index on
    ``LOWER(column)`` answers (``LIKE 'p%'`` uses no index on PostgreSQL without C collation,
    and ``istartswith`` is no range on either database)."""
    low = prefix.lower()
    high = low[:-1] + chr(ord(low[-1]) + 1)  # the first string after every one starting so
    return Q(GreaterThanOrEqual(Lower(column), low), LessThan(Lower(column), high))


def text_matches(model, word: str) -> Q:
    """Rows of ``model`` with ``word`` in one of its indexed text columns, case-insensitive
    (for a contact: at the start of one)."""
    if prefixed := PREFIX_SEARCHES.get(model._meta.label_lower):
        match = Q()
        for column in prefixed:
            match |= starts_with(column, word)
        return match
    columns = SEARCH_INDEXES[model._meta.label_lower]
    if connection.vendor == "sqlite" and len(word) >= MIN_INDEXED_CHARS:
        table = _fts_table(model)
        phrase = '"' + word.replace('"', '""') + '"'
        return Q(pk__in=RawSQL(f'SELECT rowid FROM "{table}" WHERE "{table}" MATCH %s', [phrase]))
    match = Q()
    for column in columns:
        match |= Q(**{f"{column}__icontains": word})
    return match


def phone_candidates(text: str) -> list[str]:
    """The E.164 numbers ``text`` may mean: (909) 555-0123 → +19095550123; [] if not a number."""
    if any(ch.isalpha() for ch in text):
        return []
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 10:
        return [f"+1{digits}"]
    if 11 <= len(digits) <= 15:
        return [f"+{digits}"]
    return []


def _related(model, path: str):
    """The model at the end of relation ``path`` from ``model``."""
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    return model


def _phone_matches(model, path: str, numbers: list[str]) -> Q:
    """Rows whose phone (at ``path``) is one of ``numbers``: the few owners are looked up first
    on the phone's index, so the main query filters on its own foreign key."""
    *relation, field = path.split("__")
    if not relation:
        return Q(**{f"{field}__in": numbers})
    first, rest = relation[0], "__".join([*relation[1:], field])
    owners = _related(model, first).objects.filter(**{f"{rest}__in": numbers})
    return Q(**{f"{first}__in": list(owners.values_list("pk", flat=True))})


def search_words(search_term: str) -> list[str]:
    """The words of a search, as Django's admin splits them (quotes keep a phrase together)."""
    words = []
    for bit in smart_split(search_term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit:
            words.append(bit)
    return words


def indexed_search(queryset, search: IndexedSearch, search_term: str, *, many: bool = False):
    """``queryset`` narrowed to the rows matching every word of ``search_term`` (each word in
    the text, an id, or a phone number), through indexes only.

    A word's alternatives are a UNION of index look-ups, not an OR in one WHERE: SQLite reads
    a whole table for an OR whose terms use different indexes (one of them a subquery).

    ``many``: the search matches many rows (more than a page's worth many times over). Then the
    matches are a semi-join the database probes while it walks the list's ordering index, and
    it stops at the page's LIMIT, instead of reading every match and sorting them all to keep
    one page of them (``matches_in_order``)."""
    model = queryset.model
    words = search_words(search_term)
    if search.phone and phone_candidates(search_term):
        words = [search_term.strip()]  # "(909) 555-0123" is one number, not three words
    for word in words:
        if search.text == "" and (
            len(word) < MIN_INDEXED_CHARS and model._meta.label_lower in SEARCH_INDEXES
        ):
            # No index serves a word this short: one WHERE with an OR, which the database
            # checks row by row while it walks the list's order and stops at the LIMIT (a
            # common word fills a page at once); a UNION would first read every match.
            queryset = queryset.filter(_row_matches(model, search, word))
            continue
        matches = []
        relations = (search.text,) if isinstance(search.text, str) else search.text or ()
        for relation in relations:
            if relation:
                related = _related(model, relation)
                found = related.objects.filter(text_matches(related, word)).values("pk")
                matches.append(model.objects.filter(**{f"{relation}__in": found}))
            else:
                matches.append(model.objects.filter(text_matches(model, word)))
        for field in search.exact:
            # An id is "" when there is none: its unique index covers only the others, and
            # SQLite uses such a partial index only when the query repeats its condition.
            matches.append(model.objects.filter(**{field: word}).exclude(**{field: ""}))
        if search.phone and (numbers := phone_candidates(word)):
            matches.append(model.objects.filter(_phone_matches(model, search.phone, numbers)))
        union = _union(matches)
        queryset = queryset.filter(matches_in_order(model, union) if many else Q(pk__in=union))
    return queryset


def _row_matches(model, search: IndexedSearch, word: str) -> Q:
    match = text_matches(model, word)
    for field in search.exact:
        match |= Q(**{field: word})
    if search.phone and (numbers := phone_candidates(word)):
        match |= _phone_matches(model, search.phone, numbers)
    return match


def matches_in_order(model, matches: RawSQL):
    """``pk IN (matches)`` written so the database walks the list's order and probes the
    matches, rather than reading them by primary key and sorting them.

    On SQLite the unary ``+`` keeps the primary key's index out of the IN (so the subquery is
    materialised once and probed), and the planner walks the ORDER BY's index. On PostgreSQL
    the IN is a hashed subplan filtering the rows in the order the index gives them (``OFFSET
    0`` keeps the planner from turning it into a join that reads every match first)."""
    table, column = model._meta.db_table, model._meta.pk.column
    if connection.vendor == "sqlite":
        sql = f'+"{table}"."{column}" IN ({matches.sql})'
    else:
        sql = f'("{table}"."{column}" IN ({matches.sql})) IS TRUE'
    return RawSQL(sql, matches.params, output_field=BooleanField())


def _union(querysets) -> RawSQL:
    """The primary keys of the rows of any of ``querysets``, as one subquery."""
    parts, params = [], []
    for queryset in querysets:
        sql, part_params = queryset.order_by().values("pk").query.sql_with_params()
        parts.append(sql)
        params.extend(part_params)
    return RawSQL(" UNION ".join(parts), params)


# --- Installing the indexes -------------------------------------------------------------------


def _sqlite_statements(model) -> tuple[list[str], list[str]]:
    """(the triggers, the table) that keep ``model``'s FTS5 index in step with it."""
    table, fts = model._meta.db_table, _fts_table(model)
    columns = SEARCH_INDEXES[model._meta.label_lower]
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    create = (
        f'CREATE VIRTUAL TABLE IF NOT EXISTS "{fts}" USING fts5({names}, '
        f"content='{table}', content_rowid='id', tokenize='trigram')"
    )
    triggers = [
        f'CREATE TRIGGER IF NOT EXISTS "{fts}_ai" AFTER INSERT ON "{table}" BEGIN '
        f'INSERT INTO "{fts}"(rowid, {names}) VALUES (new.id, {new}); END',
        f'CREATE TRIGGER IF NOT EXISTS "{fts}_ad" AFTER DELETE ON "{table}" BEGIN '
        f'INSERT INTO "{fts}"("{fts}", rowid, {names}) VALUES (\'delete\', old.id, {old}); END',
        f'CREATE TRIGGER IF NOT EXISTS "{fts}_au" AFTER UPDATE OF {names} ON "{table}" BEGIN '
        f'INSERT INTO "{fts}"("{fts}", rowid, {names}) VALUES (\'delete\', old.id, {old}); '
        f'INSERT INTO "{fts}"(rowid, {names}) VALUES (new.id, {new}); END',
    ]
    return [create], triggers


def _postgres_statements(model) -> list[str]:
    table = model._meta.db_table
    return [
        f'CREATE INDEX IF NOT EXISTS "{table}_{column}_trgm" ON "{table}" '
        f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        for column in SEARCH_INDEXES[model._meta.label_lower]
    ]


def install_search_indexes(schema_editor, app_registry=apps, labels=None) -> None:
    """Create the substring indexes of ``labels`` (models of SEARCH_INDEXES; a migration's
    forwards step names the ones its app's state has; safe to run again)."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # Here rather than contrib.postgres's TrigramExtension, whose reverse step fails on
        # SQLite; left in place when migrating back (other indexes may use it).
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for label in labels or SEARCH_INDEXES:
        model = app_registry.get_model(label)
        if vendor == "postgresql":
            for sql in _postgres_statements(model):
                schema_editor.execute(sql)
        elif vendor == "sqlite":
            tables, triggers = _sqlite_statements(model)
            for sql in tables + triggers:
                schema_editor.execute(sql)
            fts = _fts_table(model)
            schema_editor.execute(f'INSERT INTO "{fts}"("{fts}") VALUES (\'rebuild\')')


def remove_search_indexes(schema_editor, app_registry=apps, labels=None) -> None:
    vendor = schema_editor.connection.vendor
    for label in labels or SEARCH_INDEXES:
        model = app_registry.get_model(label)
        table, fts = model._meta.db_table, _fts_table(model)
        if vendor == "postgresql":
            for column in SEARCH_INDEXES[label]:
                schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_{column}_trgm"')
        elif vendor == "sqlite":
            for suffix in ("ai", "ad", "au"):
                schema_editor.execute(f'DROP TRIGGER IF EXISTS "{fts}_{suffix}"')
            schema_editor.execute(f'DROP TABLE IF EXISTS "{fts}"')


def ensure_search_indexes(*, using: str = "default", **kwargs) -> None:
    """After migrations on SQLite: if a table was rebuilt (its triggers gone), put the
    triggers back and rebuild its index from the table."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "sqlite":
        return
    with conn.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {row[0] for row in cursor.fetchall()}
        for label in SEARCH_INDEXES:
            model = apps.get_model(label)
            fts = _fts_table(model)
            if fts not in present or f"{fts}_ai" in present:
                continue  # not installed yet (before 0015), or intact
            for sql in _sqlite_statements(model)[1]:
                cursor.execute(sql)
            cursor.execute(f'INSERT INTO "{fts}"("{fts}") VALUES (\'rebuild\')')
