"""The slow marker: `pytest -m "not slow"` is the quick subset, so a test that needs the real
asv run or a numba build carries it. (conftest.py fails a run where a test without it took
more than UNMARKED_LIMIT seconds.)"""

#: Fixtures that build a real asv virtualenv and run asv (conftest.py), build numba from its
#: sdist (test_patched_numba.py), or run every case in two fresh interpreters (test_patch.py).
EXPENSIVE = {"asv_home", "quick_run", "published_site", "patched_python", "compared"}


def test_a_test_with_an_expensive_fixture_is_marked_slow(request):
    unmarked = [
        item.nodeid
        for item in request.session.items
        if EXPENSIVE & set(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("slow") is None
    ]
    assert not unmarked, "mark @pytest.mark.slow: " + ", ".join(unmarked)
