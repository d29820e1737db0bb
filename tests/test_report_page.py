"""The explorer's report page offers one download button per report format."""
from ropa.report import FORMATS


def test_report_page_has_a_download_button_per_format():
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_string("from ropa.ui import report_page\nreport_page.page()", default_timeout=120).run()
    assert not at.exception
    buttons = at.get("download_button")
    assert len(buttons) == len(FORMATS)
    assert {b.proto.id.rsplit("_", 1)[-1] for b in buttons} == set(FORMATS)
    assert all(b.proto.deferred_file_id for b in buttons)  # rendered only when clicked
    assert int(at.metric[0].value) > 0  # restricted transfers in the sample data
