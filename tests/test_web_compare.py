"""Compare by a column in the web app (issue 13): choose a column after upload, see the
findings and charts, download the same files the command line writes."""

from __future__ import annotations

import io

import pandas as pd
from tests.test_web_support import web_client


def test_compare_by_column_in_the_web_app(demo):
    store, files = demo
    with web_client(store) as client:
        with open(files.customers, "rb") as fh:
            r = client.post("/upload", files={"file": ("c.csv", fh, "text/csv")},
                            follow_redirects=False)  # fmt: skip
        token = r.headers["location"].split("/")[2]
        assert f"/u/{token}/compare" in client.get(f"/u/{token}/profile").text
        page = client.get(f"/u/{token}/compare")
        assert page.status_code == 200 and '<option value="service"' in page.text
        assert "oac_group" not in page.text  # only the user's own columns are offered
        page = client.get(f"/u/{token}/compare", params={"column": "service"})
        assert page.status_code == 200, page.text
        assert "Legacy Communities" in page.text and "reaches" in page.text
        assert 'id="compare-heat_map"' in page.text and "hidden" in page.text
        csv = client.get(f"/u/{token}/download/compare.csv", params={"column": "service"})
        frame = pd.read_csv(io.StringIO(csv.text))
        assert frame.columns[0] == "by" and frame["by"].nunique() == 8  # (all) + 7 services
        hidden = frame[frame["flag"] == "suppressed"]
        assert hidden["customers"].isna().all()
        pdf = client.get(f"/u/{token}/download/compare.pdf", params={"column": "service"})
        assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
        quarter = {"column": "contact_date", "kind": "period", "freq": "quarter"}
        per = client.get(f"/u/{token}/compare", params=quarter)
        assert per.status_code == 200 and 'id="compare-trend"' in per.text
        bad = client.get(f"/u/{token}/compare", params={"column": "record_id"})
        assert bad.status_code in (400, 422) and "more than the limit of 50" in bad.text
        bad = client.get(f"/u/{token}/compare", params={"column": "nope"})
        assert bad.status_code in (400, 404, 422) and "no column" in bad.text
