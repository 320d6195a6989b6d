"""asv's published regressions, kept only where confirmed (``allocbench confirm``).

After ``asv publish``, ``regressions.json`` and its feed ``regressions.xml`` list every step
asv's detection found in one measurement per release. Here each step (a jump of a figure
between two ledger commits) is kept only where a current confirmation of that figure between
those releases, on that machine and Python, says "confirmed"; the others are written to
``regressions-unconfirmed.json`` beside them, which the front page lists. asv's publisher
plugin (allocbench.asv_plugin) filters them in every ``asv publish``, with the revisions asv
gives its publishers (asv writes its index.json, with the same mapping, only after them);
``allocbench site`` reads the mapping from index.json. Files are replaced whole
(allocbench.files). asv's own lists are kept beside them (``regressions-asv.*``), so that run
again, with confirmations made since, it filters asv's lists anew.
"""

from __future__ import annotations

import json
import pathlib
import urllib.parse
import xml.etree.ElementTree as ElementTree
from typing import Any, Dict, List, Mapping, Optional, Sequence

from allocbench import files
from allocbench.history import confirmations as store
from allocbench.history.commit_ids import release_by_commit
from allocbench.history.releases import Release

REGRESSIONS = "regressions.json"
FEED = "regressions.xml"
UNCONFIRMED = "regressions-unconfirmed.json"
#: asv's lists as asv wrote them, kept beside the filtered ones: filtering again (after a
#: confirmation made since asv published) starts from these, so a step confirmed later is
#: listed again.
AS_ASV_WROTE = {REGRESSIONS: "regressions-asv.json", FEED: "regressions-asv.xml"}
#: Marks a regressions.json already filtered.
FILTERED = "allocbench_confirmed_only"
_ATOM = "http://www.w3.org/2005/Atom"


def _confirmed(entries: Mapping[str, Mapping[str, Any]], name: str, graph: str,
               before: Optional[Release], after: Release) -> bool:  # fmt: skip
    """Whether a current confirmation says `name` stepped from `before` (None: any release
    before) to `after`, on the machine and Python the graph's path names."""
    parts = set(pathlib.PurePosixPath(graph).parts)
    for entry in entries.values():
        figure = (entry.get("figures") or {}).get(name)
        if not figure or figure.get("verdict") != "confirmed" or entry.get("after") != after.numba:
            continue
        if before is not None and entry.get("before") != before.numba:
            continue
        if f"machine-{entry.get('machine')}" not in parts and any(
            p.startswith("machine-") for p in parts
        ):
            continue
        return True
    return False


def revision_to_hash(revisions: Mapping[str, int]) -> Dict[str, str]:
    """asv's revision numbers (as text, as index.json keys them) to commit hashes, from the
    commit-to-revision mapping asv passes its publishers."""
    return {str(number): commit for commit, number in revisions.items()}


def keep_confirmed(
    html_dir: pathlib.Path,
    results_dir: pathlib.Path,
    table: Sequence[Release],
    candidates: Sequence[Release] = (),
    to_hash: Optional[Mapping[str, str]] = None,
) -> List[Dict[str, Any]]:
    """Keep in the published regressions only the confirmed steps; the steps left out.
    `to_hash`: asv's revisions to commits (``revision_to_hash``); None reads index.json's."""
    path = html_dir / REGRESSIONS
    index_path = html_dir / "index.json"
    if not path.is_file() or (to_hash is None and not index_path.is_file()):
        return []
    data = files.load_json(path)
    if not isinstance(data, dict):
        return read_unconfirmed(html_dir)
    data = _as_asv_wrote(html_dir, data)
    if data is None:
        return read_unconfirmed(html_dir)
    if to_hash is None:
        to_hash = files.load_json(index_path).get("revision_to_hash") or {}
    by_commit = release_by_commit(table, candidates)
    entries = store.read_confirmations(store.Places(results_dir))
    kept, dropped = [], []
    for row in data.get("regressions") or []:
        name, graph, jumps = row[0], row[1], row[6]
        good = []
        for jump in jumps:
            rev1, rev2 = jump[0], jump[1]
            before = by_commit.get(to_hash.get(str(rev1), "")) if rev1 is not None else None
            after = by_commit.get(to_hash.get(str(rev2), ""))
            if after is not None and _confirmed(entries, name, graph, before, after):
                good.append(jump)
            else:
                dropped.append({"name": name, "graph": graph, "params": row[2],
                                "revisions": [rev1, rev2],
                                "before": before.numba if before else None,
                                "after": after.numba if after else None,
                                "values": [jump[2], jump[3]],
                                "commits": [to_hash.get(str(r)) for r in (rev1, rev2)
                                            if r is not None]})  # fmt: skip
        if good:
            kept.append([*row[:6], good])
    files.write_text(path, json.dumps({"regressions": kept, FILTERED: True}))
    files.write_text(html_dir / UNCONFIRMED, json.dumps(dropped, indent=1))
    _prune_feed(html_dir / FEED, dropped)
    return dropped


def _as_asv_wrote(html_dir: pathlib.Path, data: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """asv's regressions list as asv wrote it: `data` where asv wrote it now (then it and the
    feed are kept as they are, `AS_ASV_WROTE`), else the copy kept when it was; None where
    `data` was filtered and no copy was kept (a site from before the copies)."""
    kept = {name: html_dir / copy for name, copy in AS_ASV_WROTE.items()}
    if not data.get(FILTERED):
        files.write_text(kept[REGRESSIONS], json.dumps(data))
        if (html_dir / FEED).is_file():
            files.write_bytes(kept[FEED], files.read_bytes(html_dir / FEED))
        return data
    if not kept[REGRESSIONS].is_file():
        return None
    if kept[FEED].is_file():
        files.write_bytes(html_dir / FEED, files.read_bytes(kept[FEED]))
    found = files.load_json(kept[REGRESSIONS])
    return found if isinstance(found, dict) and not found.get(FILTERED) else None


def _prune_feed(path: pathlib.Path, dropped: Sequence[Mapping[str, Any]]) -> None:
    """Remove from asv's Atom feed the entries of the steps left out."""
    if not path.is_file() or not dropped:
        return
    ElementTree.register_namespace("", _ATOM)
    tree = ElementTree.ElementTree(ElementTree.fromstring(files.read_bytes(path)))
    gone = {(d["name"].split("(")[0], "-".join(d["commits"])) for d in dropped}
    root = tree.getroot()
    for entry in list(root.findall(f"{{{_ATOM}}}entry")):
        link = entry.find(f"{{{_ATOM}}}link")
        href = link.get("href", "") if link is not None else ""
        fragment = urllib.parse.unquote(href.partition("#")[2])
        bench, _, query = fragment.partition("?")
        commits = urllib.parse.parse_qs(query).get("commits", [""])[0]
        if (bench, commits) in gone:
            root.remove(entry)
    files.write_bytes(path, ElementTree.tostring(root, encoding="utf-8", xml_declaration=True))


def read_unconfirmed(html_dir: pathlib.Path) -> List[Dict[str, Any]]:
    """The steps asv flagged that were left out of the published list, as last filtered."""
    path = html_dir / UNCONFIRMED
    if not path.is_file():
        return []
    try:
        found = files.load_json(path)
    except files.FileError:
        return []
    return found if isinstance(found, list) else []
