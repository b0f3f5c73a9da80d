"""Archive views: the captures of a whole archive counted and judged per day, per receiving
site, per location, per channel and per station."""

import os

#: the views of a document's ``archive`` field, in order
VIEWS = ("day", "site", "location", "channel", "station")


def recording_facts(path):
    """What a recording's metadata says of where it was made: ``site`` (SigMF ``core:hw``)
    and ``location`` (SigMF ``core:geolocation``, as ``lat,lon`` to 4 decimals: about 10 m);
    None where it says nothing.

    Examples
    --------
    >>> recording_facts("nothing-here.cu8")
    {'site': None, 'location': None}
    """
    from htdsp.archive.cache import meta_global

    out = {"site": None, "location": None}
    g = meta_global(path)
    if g is None:
        return out
    try:
        hw = g.get("core:hw")
        out["site"] = hw if isinstance(hw, str) and hw.strip() else None
        lon, lat = (g.get("core:geolocation") or {}).get("coordinates", [None, None])[:2]
        if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
            out["location"] = f"{lat:.4f},{lon:.4f}"
    except (AttributeError, TypeError, ValueError):
        pass
    return out


def _row():
    return {"captures": 0, "channels": 0, "pass": 0, "fail": 0, "unusable": 0,
            "transmissions": 0}


def archive_views(captures, facts, stations=(), heard=None):
    """The views of an archive.

    Parameters
    ----------
    captures : list of dict
        The document's ``captures[]`` entries.
    facts : dict
        Per capture path: ``site`` and ``location`` (None: unknown).
    stations : list of dict, optional
        The document's ``stations[]`` (the run's, across every capture), for the per-station
        view.
    heard : dict, optional
        Per station, the captures it was heard in and its number of (capture, channel)
        pairs (:meth:`htdsp.stations.StationBook.heard`).

    Returns
    -------
    dict
        One mapping per view name (:data:`VIEWS`), group -> counts (``captures``,
        ``channels``, ``pass``, ``fail``, ``unusable``, ``transmissions``). A station's row
        counts the captures and channels it was heard on and its transmissions, and its
        verdict (judged on all of them) as one pass or fail.

    Examples
    --------
    >>> c = {"source": {"path": "a", "datetime": "2026-06-01T10:00:00Z"},
    ...      "channel": {"freq_hz": 446.00625e6}, "summary": {"verdict": "pass",
    ...      "transmissions": 3}}
    >>> v = archive_views([c], {"a": {"site": "north", "location": None}},
    ...                   [{"station": "base", "verdict": "pass", "transmissions": 3}],
    ...                   {"base": (["a"], 1)})
    >>> v["day"], v["site"]["north"]["pass"], list(v["channel"]), v["station"]["base"]["pass"]
    ({'2026-06-01': {'captures': 1, 'channels': 1, 'pass': 1, 'fail': 0, 'unusable': 0, \
'transmissions': 3}}, 1, ['446.00625 MHz'], 1)
    """
    views = {v: {} for v in VIEWS}
    counted = {v: set() for v in VIEWS}
    for c in captures:
        path = c["source"]["path"]
        f = facts.get(path) or {}
        dt = c["source"].get("datetime")
        freq = c["channel"].get("freq_hz")
        groups = {"day": dt[:10] if isinstance(dt, str) and len(dt) >= 10 else "unknown",
                  "site": f.get("site") or "unknown",
                  "location": f.get("location") or os.path.basename(path),
                  "channel": (f"{freq / 1e6:.5f} MHz" if freq else
                              f"offset {c['channel'].get('offset_hz', 0) / 1e3:+.3f} kHz")}
        s = c["summary"]
        for view, g in groups.items():
            r = views[view].setdefault(g, _row())
            if (g, path) not in counted[view]:
                counted[view].add((g, path))
                r["captures"] += 1
            r["channels"] += 1
            verdict = s.get("verdict")
            if verdict in ("pass", "fail", "unusable"):
                r[verdict] += 1
            r["transmissions"] += int(s.get("transmissions") or 0)
    heard = heard or {}
    for st in stations:
        name = str(st.get("station"))
        r = views["station"].setdefault(name, _row())
        caps, chans = heard.get(name, ((), 0))
        r["captures"], r["channels"] = len(caps), chans
        verdict = st.get("verdict")
        if verdict in ("pass", "fail"):
            r[verdict] += 1
        r["transmissions"] += int(st.get("transmissions") or 0)
    for v in VIEWS:
        views[v] = dict(sorted(views[v].items()))
    return views
