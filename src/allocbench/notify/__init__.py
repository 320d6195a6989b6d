"""``allocbench notify``: a GitHub issue per confirmed regression, kept in step with each run.

``found`` reads which steps are confirmed now, ``issue_text`` writes an issue's title and
body (with the marker that names its figure and step), ``github`` talks to GitHub's REST API
and ``sync`` opens, updates, reopens and closes the issues.
"""
