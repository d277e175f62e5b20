"""Chinese search over the published catalogue: an inverted index kept in the database.

``indexer.index_version`` / ``indexer.index_remove`` keep it current as versions are published and
retired; ``query.search`` answers a query in one SQL statement (plus one for synonyms).
"""
