"""Document identity from a report's opening: invented covers in the shapes reports take."""

import pytest

from docent.ingest.identity import DocumentIdentity, identify, strip_header
from docent.ingest.parse import Element


def doc(*paragraphs: str) -> list[Element]:
    return [Element(p, "NarrativeText", 1, ()) for p in paragraphs]


@pytest.mark.parametrize("paragraphs, name, expected", [
    (("UNITED STATES SECURITIES AND EXCHANGE COMMISSION", "FORM 10-K",
      "ANNUAL REPORT PURSUANT TO SECTION 13 For the fiscal year ended September 30, 2021",
      "Commission File Number 1-2345NORTHWIND TRADERS, INC.", "(Exact name of registrant as specified in its charter)"),
     "nw-annual.pdf", ("Northwind Traders, Inc.", "Form 10-K annual report", "FY2021 (year ended September 30, 2021)")),
    (("FORM 10-Q", "For the quarterly period ended March 31, 2024", "____Fabrikam Holdings PLC",
      "(Exact name of Registrant as specified in its charter)"),
     "fab.pdf", ("Fabrikam Holdings PLC", "Form 10-Q quarterly report", "quarter ended March 31, 2024")),
    (("Contoso Reports Third-Quarter 2023 Results; Raises Guidance",
      "SEATTLE - Contoso Ltd. (NYSE: CTSO) today reported results for the third quarter 2023. Details in our Form 10-Q."),
     "release.pdf", ("Contoso Ltd.", "earnings release", "Q3 2023")),
    (("FORM 8-K CURRENT REPORT", "Date of Report (Date of earliest event reported): May 3, 2023",
      "Litware Corporation", "(Exact name of registrant as specified in its charter)"),
     "8k.pdf", ("Litware Corporation", "Form 8-K current report", "May 3, 2023")),
    (("FORM 10-K", "For the fiscal year ended January 2, 2022", "Tailspin Toys Inc.", "(Exact name of registrant)"),
     "tt.pdf", ("Tailspin Toys Inc.", "Form 10-K annual report", "FY2021 (year ended January 2, 2022)")),
])
def test_reports_say_who_what_and_when(paragraphs, name, expected):
    found = identify(doc(*paragraphs), f"file:///data/{name}")
    assert (found.organisation, found.doc_type, found.period) == expected
    assert found.file_name == name


def test_a_plain_document_is_named_by_its_file():
    found = identify(doc("we met on tuesday and talked about lunch."), "file:///notes/team%20notes.md")
    assert found == DocumentIdentity("team notes.md", "", "", "", "")
    assert found.header() == "Document: team notes.md"


def test_the_header_line_is_stripped_for_readers():
    text = DocumentIdentity("a.pdf", organisation="Contoso Ltd.").header() + "\nRevenue | 12"
    assert strip_header(text) == "Revenue | 12"
    assert strip_header("Revenue | 12") == "Revenue | 12"
