"""Generate the binary and non-UTF-8 files of the Acme Robotics demo corpus in samples/acme/.

Dev-only dependencies (already in the project venv; the generated files are committed, so nothing
at runtime needs them): python-docx, python-pptx, openpyxl, and pdfminer.six (only for its
Helvetica width table, used to wrap lines). The PDF is written by hand below: plain PDF 1.4 with
the standard Helvetica fonts and a real text layer, no PDF library needed.

Output is deterministic: fixed document properties, and ZIP containers (DOCX, PPTX, XLSX)
rewritten with fixed timestamps, so re-running gives byte-identical files.

    .venv/bin/python samples/make_samples.py
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from pathlib import Path

OUT = Path(__file__).parent / "acme"
FIXED = dt.datetime(2025, 11, 1, 9, 0, 0)


def stable_zip(data: bytes) -> bytes:
    """Rewrite a ZIP container with fixed entry timestamps and a fixed 'modified' property
    (the Office writers stamp 'now'; openpyxl even overrides the property on save)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*",
                              rb"\g<1>" + FIXED.strftime("%Y-%m-%dT%H:%M:%SZ").encode(), body)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, body)
    return out.getvalue()


# -- PDF: travel and expense policy --------------------------------------------------------------

POLICY = [
    ("title", "Travel and Expense Policy"),
    ("meta", "Policy FIN-007, version 3.2, effective 1 March 2025. Owner: Marcus Lee, Chief "
             "Financial Officer. Approved by Dana Whitfield, CEO."),
    ("h", "Purpose and scope"),
    ("p", "This policy applies to every Acme Robotics employee and contractor who travels on "
          "company business or spends company money, in all five offices: Pittsburgh, Austin, "
          "Rotterdam, Lyon and Singapore. It aims to keep travellers safe and costs predictable. "
          "Questions go to finance@acme-robotics.example."),
    ("h", "Booking travel"),
    ("p", "All flights, trains, hotels and rental cars are booked through the TripDesk portal, "
          "so that Acme knows where its travellers are and can help them in an emergency. Book "
          "flights at least 14 days before departure; later bookings need your manager's "
          "approval in TripDesk."),
    ("li", "Flights shorter than 6 hours: economy class."),
    ("li", "Flights of 6 hours or longer: premium economy."),
    ("li", "Business class only for flights longer than 10 hours, with written VP approval."),
    ("li", "Trains instead of flights for trips under 4 hours door to door, for example "
           "Rotterdam to Paris or Lyon to Paris; first class is allowed on trains."),
    ("h", "Hotels"),
    ("p", "Stay in hotels listed in TripDesk whenever possible. The nightly room rate, "
          "excluding taxes, may not exceed the caps below. Stays with friends or family are "
          "welcome, but are not reimbursed."),
    ("li", "United States: $250 per night; New York, San Francisco and Boston: $325 per night."),
    ("li", "Europe: 180 euros per night; Paris, London and Amsterdam: 220 euros per night."),
    ("li", "Singapore and the rest of Asia-Pacific: SGD 350 per night."),
    ("h", "Meals and per diem"),
    ("p", "Meals on travel days are covered by a daily per diem instead of receipts: $75 per day "
          "in the United States, 65 euros per day in Europe and SGD 110 per day in Singapore. On "
          "the first and last day of a trip, 75% of the per diem applies. Meals that are "
          "provided, for example at a conference, are deducted at 20% of the per diem each."),
    ("p", "Alcohol is not reimbursed, except at client dinners, where the limit is two drinks "
          "per person. Client entertainment above $150 per person needs VP approval."),
    ("h", "Ground transport and mileage"),
    ("p", "Use public transport or taxis from the airport. Rental cars are compact class; in the "
          "United States decline the rental company's collision insurance, because Acme's "
          "corporate policy covers it. Private cars used for business are reimbursed at $0.70 "
          "per mile in the United States and 0.23 euros per kilometre in the Netherlands and "
          "France. Parking fees and tolls are reimbursed with receipts; traffic and parking "
          "fines are never reimbursed."),
    ("h", "Expense reports"),
    ("p", "Submit expense reports in Ledgerly within 30 days after the end of a trip. A receipt "
          "is required for every expense above $25 (or 25 euros, or SGD 35). Your manager "
          "approves the report and finance reimburses approved reports within 10 business days. "
          "Reports submitted more than 90 days after the expense are not reimbursed."),
    ("h", "Corporate card"),
    ("p", "Employees who travel more than four times a year receive an American Express "
          "corporate card with a monthly limit of $5,000. The card is for business expenses "
          "only. If you charge a personal expense by mistake, repay it within 5 business days "
          "and note it in Ledgerly."),
    ("h", "Safety and duty of care"),
    ("p", "Register every trip in TripDesk, including trips booked by a customer. Acme's travel "
          "assistance line is open 24 hours a day at +1 412 555 0111. Travel to countries with "
          "a high-risk rating needs approval from the CFO and a safety briefing from security "
          "before booking."),
    ("h", "Not reimbursable"),
    ("li", "Seat, cabin and hotel upgrades that you choose yourself."),
    ("li", "Minibar, in-room movies, spa and gym fees."),
    ("li", "Travel for partners and family members."),
    ("li", "Costs of a private extension of a business trip, beyond the business part."),
    ("h", "Approval limits"),
    ("p", "Managers approve travel and expense reports of their direct reports. Higher amounts "
          "need a second approval in Ledgerly:"),
    ("li", "Up to $2,500 per trip: the traveller's manager."),
    ("li", "From $2,500 to $10,000 per trip: the department's VP."),
    ("li", "Above $10,000 per trip, and any trip by a VP: the CFO."),
    ("p", "Customer-billable travel is booked against the customer's project code in TripDesk so "
          "that it appears on the customer invoice; the project manager approves it instead of "
          "the line manager."),
    ("h", "Conferences and training"),
    ("p", "Conference fees are paid from the employee's learning budget of $1,500 per year, "
          "described in the employee handbook. Travel to a conference where you speak or staff "
          "an Acme booth is paid by the organizing department. Register early: early-bird "
          "prices are expected whenever they are available."),
    ("h", "Exceptions"),
    ("p", "Exceptions to this policy need written approval from the CFO before the expense is "
          "made. Repeated violations are handled under the code of conduct in the employee "
          "handbook."),
]


def pdf_escape(text: str) -> bytes:
    return text.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line wrapping with the real Helvetica glyph widths."""
    from pdfminer.fontmetrics import FONT_METRICS

    widths = FONT_METRICS[font][1]
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if sum(widths.get(c, 556) for c in candidate) * size / 1000 > width and line:
            lines.append(line)
            candidate = word
        line = candidate
    return lines + [line]


def make_policy_pdf() -> bytes:
    styles = {"title": ("F2", "Helvetica-Bold", 20, 30), "meta": ("F1", "Helvetica", 10, 14),
              "h": ("F2", "Helvetica-Bold", 13, 18), "p": ("F1", "Helvetica", 11, 15),
              "li": ("F1", "Helvetica", 11, 15)}
    pages: list[list[bytes]] = [[]]
    y = 720.0
    for kind, text in POLICY:
        font, face, size, leading = styles[kind]
        lines = wrap(f"• {text}" if kind == "li" else text, face, size, 468)
        before = {"h": 16, "p": 8, "li": 4}.get(kind, 0)
        if y - before - leading * len(lines) < 80 or (kind == "h" and y < 160):
            pages.append([])
            y = 720.0
        y -= before
        for line in lines:  # continuation lines start flush left, so pdfminer keeps one box
            pages[-1].append(f"BT /{font} {size} Tf 72 {y:.1f} Td (".encode()
                             + pdf_escape(line) + b") Tj ET\n")
            y -= leading
    total = len(pages)
    for number, ops in enumerate(pages, start=1):
        footer = f"FIN-007 Travel and Expense Policy, version 3.2 - page {number} of {total}"
        ops.append(b"BT /F1 8 Tf 72 40 Td (" + pdf_escape(footer) + b") Tj ET\n")

    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"",
                            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                            b"/Encoding /WinAnsiEncoding >>",
                            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
                            b"/Encoding /WinAnsiEncoding >>",
                            b"<< /Title (Travel and Expense Policy) /Author (Acme Robotics) "
                            b"/CreationDate (D:20250301090000Z) >>"]
    kids = []
    for ops in pages:
        content = zlib.compress(b"".join(ops), 9)
        objects.append(f"<< /Length {len(content)} /Filter /FlateDecode >>\nstream\n".encode()
                       + content + b"\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents "
                       f"{len(objects)} 0 R /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>"
                       .encode())
        kids.append(len(objects))
    objects[1] = (f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] "
                  f"/Count {len(kids)} >>").encode()
    out, offsets = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 5 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


# -- DOCX: onboarding guide ----------------------------------------------------------------------

def make_onboarding_docx() -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.created = d.core_properties.modified = FIXED
    d.core_properties.last_printed = FIXED
    d.core_properties.author = d.core_properties.last_modified_by = "People Operations"
    d.core_properties.title = "New Employee Onboarding Guide"
    d.core_properties.revision = 1
    d.add_heading("New Employee Onboarding Guide", level=0)
    d.add_paragraph("Welcome to Acme Robotics! This guide walks you through your first week and "
                    "your first 90 days. It is maintained by People Operations (Priya Raman, "
                    "Head of People) and applies to all offices.")
    d.add_heading("Before your first day", level=1)
    d.add_paragraph("Your manager sends you a welcome email one week before you start, with "
                    "the name of your onboarding buddy. Please complete these steps before day "
                    "one:")
    for step in ["Sign your contract and upload your ID documents in PeopleHub.",
                 "Choose your laptop: MacBook Pro 14\" or Lenovo ThinkPad X1 Carbon.",
                 "Tell People Operations your shoe size, so that your steel-toe safety shoes "
                 "are ready for the test floor.",
                 "Read the employee handbook and the travel and expense policy (FIN-007)."]:
        d.add_paragraph(step, style="List Bullet")
    d.add_heading("Your first week", level=1)
    d.add_paragraph("In Pittsburgh, arrive at 9:00 on Monday at the reception of 4100 Smallman "
                    "Street, where Gloria Okafor from facilities hands out badges. Other offices "
                    "follow the same schedule in local time.")
    schedule = [("Day", "Time", "Activity", "Owner"),
                ("Monday", "9:00", "Welcome, badge and building tour", "Facilities"),
                ("Monday", "9:30", "Laptop, accounts and MFA setup", "IT helpdesk"),
                ("Monday", "11:00", "Benefits, PTO and PeopleHub", "People Operations"),
                ("Monday", "14:00", "Lunch and first meeting with your buddy", "Buddy"),
                ("Tuesday", "10:00", "Product overview: Porter P1, Porter P2 and FleetView",
                 "Product"),
                ("Tuesday", "14:00", "Security awareness training (60 minutes)", "IT security"),
                ("Wednesday", "9:00", "RS-101 Robot Floor Safety, part 1 (theory)",
                 "Safety: Ben Kowalski"),
                ("Thursday", "9:00", "RS-101 Robot Floor Safety, part 2 and practical exam",
                 "Safety: Ben Kowalski"),
                ("Friday", "15:00", "30-60-90 day plan with your manager", "Manager")]
    table = d.add_table(rows=0, cols=4)
    table.style = "Table Grid"
    for row in schedule:
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = value
    d.add_heading("Accounts and tools", level=1)
    d.add_paragraph("IT creates these accounts before your first day: Google Workspace (email, "
                    "calendar, documents), Slack, Jira, PeopleHub (HR), Ledgerly (expenses) and "
                    "TripDesk (travel). Engineers also get GitHub and FleetView staging access. "
                    "Multi-factor authentication is mandatory for all of them.")
    d.add_heading("Your onboarding buddy", level=1)
    d.add_paragraph("Your buddy is a colleague from another team who has been at Acme for at "
                    "least a year. For your first 90 days you meet every week for 30 minutes. "
                    "Ask your buddy anything, from where the good coffee is to how a release "
                    "train works.")
    d.add_heading("Safety certification", level=1)
    d.add_paragraph("The RS-101 Robot Floor Safety certification is mandatory for everyone, "
                    "including office staff, and must be completed within your first 10 working "
                    "days. Without it your badge does not open the test floor doors. The exam "
                    "has 30 questions and a practical part; the pass mark is 80%.")
    d.add_heading("Your first 90 days", level=1)
    d.add_heading("30 days", level=2)
    d.add_paragraph("Know your team, your product area and our customers. Ship a first small "
                    "change or deliverable.")
    d.add_heading("60 days", level=2)
    d.add_paragraph("Own a piece of work end to end and present it in your team's demo.")
    d.add_heading("90 days", level=2)
    d.add_paragraph("Have a first feedback conversation with your manager. Probation ends after "
                    "90 days for employees in the United States and Singapore, and after 2 "
                    "months in the Netherlands and France.")
    d.add_heading("Who to ask", level=1)
    d.add_paragraph("People Operations: people@acme-robotics.example. IT helpdesk: extension "
                    "4357. Safety: Ben Kowalski, safety@acme-robotics.example.")
    buffer = io.BytesIO()
    d.save(buffer)
    return stable_zip(buffer.getvalue())


# -- PPTX: Q3 2025 company update ----------------------------------------------------------------

def make_update_pptx() -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.core_properties.created = deck.core_properties.modified = FIXED
    deck.core_properties.last_printed = FIXED
    deck.core_properties.author = deck.core_properties.last_modified_by = "Dana Whitfield"
    deck.core_properties.title = "Q3 2025 Company Update"
    deck.core_properties.revision = 1

    title = deck.slides.add_slide(deck.slide_layouts[0])
    title.shapes.title.text = "Q3 2025 Company Update"
    title.placeholders[1].text = ("All-hands, 9 October 2025. Dana Whitfield, CEO, and "
                                  "Marcus Lee, CFO")

    def bullets(heading: str, items: list[str], notes: str) -> None:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = heading
        frame = slide.placeholders[1].text_frame
        frame.text = items[0]
        for item in items[1:]:
            frame.add_paragraph().text = item
        slide.notes_slide.notes_text_frame.text = notes

    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Financial highlights"
    rows = [("Metric", "Q3 2025", "Q3 2024", "Change"),
            ("Revenue", "$48.2M", "$42.3M", "+14%"),
            ("Gross margin", "41%", "38%", "+3 pts"),
            ("New customers", "37", "29", "+8"),
            ("Customers in total", "412", "331", "+81"),
            ("Net revenue retention", "118%", "112%", "+6 pts")]
    shape = slide.shapes.add_table(len(rows), 4, Inches(0.5), Inches(1.6), Inches(9), Inches(3))
    table = shape.table
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    slide.notes_slide.notes_text_frame.text = (
        "Marcus: revenue beat plan by 3%. Margin improved because P1 battery packs now come from "
        "the new supplier at 11% lower cost.")

    bullets("Product", ["Porter P2 launched on 15 September: 600 kg payload, 14-hour battery",
                        "130 Porter P2 pre-orders; first deliveries to Northgate Logistics in "
                        "October",
                        "FleetView 5.4 released in August with multi-site maps",
                        "Sorter S3 beta running at 4 customers; general availability planned "
                        "for Q2 2026"],
            "Dana: thank the Austin hardware team for finishing battery certification early.")
    bullets("People and Q4 priorities", ["Headcount 384 (+22 in Q3), across five offices",
                                         "Lyon R&D lab opened on 22 September with 28 engineers",
                                         "Q4: deliver Porter P2 to the first 50 customers by "
                                         "15 December",
                                         "Q4: complete the SOC 2 Type II audit by 30 November",
                                         "Q4: hire 18 people, half of them in Austin"],
            "Priya will share the hiring plan per team in next week's managers' meeting.")
    buffer = io.BytesIO()
    deck.save(buffer)
    return stable_zip(buffer.getvalue())


# -- XLSX: holiday calendar 2026 -----------------------------------------------------------------

def easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return dt.date(year, month, day + 1)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th given weekday (0 = Monday) of a month; n = -1 for the last one."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def holidays_2026() -> dict[str, list[tuple[dt.date, str, str]]]:
    y, e = 2026, easter(2026)
    day = dt.timedelta(days=1)
    july4 = dt.date(y, 7, 4)
    observed = july4 + {5: -day, 6: day}.get(july4.weekday(), 0 * day)  # Sat -> Fri, Sun -> Mon
    us = [(dt.date(y, 1, 1), "New Year's Day", ""),
          (nth_weekday(y, 1, 0, 3), "Martin Luther King Jr. Day", ""),
          (nth_weekday(y, 2, 0, 3), "Presidents' Day", ""),
          (nth_weekday(y, 5, 0, -1), "Memorial Day", ""),
          (dt.date(y, 6, 19), "Juneteenth", ""),
          (observed, "Independence Day (observed)", "4 July falls on a Saturday"),
          (dt.date(y, 8, 14), "Acme Day", "Company founding day, all offices"),
          (nth_weekday(y, 9, 0, 1), "Labor Day", ""),
          (nth_weekday(y, 11, 3, 4), "Thanksgiving Day", ""),
          (nth_weekday(y, 11, 3, 4) + day, "Day after Thanksgiving", ""),
          (dt.date(y, 12, 25), "Christmas Day", ""),
          (dt.date(y, 12, 28), "Winter shutdown", "28 to 31 December, offices closed")]
    nl = [(dt.date(y, 1, 1), "Nieuwjaarsdag (New Year's Day)", ""),
          (e - 2 * day, "Goede Vrijdag (Good Friday)", "Company holiday at Acme"),
          (e + day, "Tweede Paasdag (Easter Monday)", ""),
          (dt.date(y, 4, 27), "Koningsdag (King's Day)", ""),
          (dt.date(y, 5, 5), "Bevrijdingsdag (Liberation Day)", "Company holiday at Acme"),
          (e + 39 * day, "Hemelvaartsdag (Ascension Day)", ""),
          (e + 50 * day, "Tweede Pinksterdag (Whit Monday)", ""),
          (dt.date(y, 8, 14), "Acme Day", "Company founding day, all offices"),
          (dt.date(y, 12, 25), "Eerste Kerstdag (Christmas Day)", ""),
          (dt.date(y, 12, 26), "Tweede Kerstdag (Boxing Day)", "")]
    fr = [(dt.date(y, 1, 1), "Jour de l'an (New Year's Day)", ""),
          (e + day, "Lundi de Pâques (Easter Monday)", ""),
          (dt.date(y, 5, 1), "Fête du Travail (Labour Day)", ""),
          (dt.date(y, 5, 8), "Victoire 1945 (Victory in Europe Day)", ""),
          (e + 39 * day, "Ascension", ""),
          (e + 50 * day, "Lundi de Pentecôte (Whit Monday)", "Worked as solidarity day"),
          (dt.date(y, 7, 14), "Fête nationale (Bastille Day)", ""),
          (dt.date(y, 8, 14), "Acme Day", "Company founding day, all offices"),
          (dt.date(y, 8, 15), "Assomption (Assumption Day)", "Falls on a Saturday"),
          (dt.date(y, 11, 1), "Toussaint (All Saints' Day)", "Falls on a Sunday"),
          (dt.date(y, 11, 11), "Armistice 1918", ""),
          (dt.date(y, 12, 25), "Noël (Christmas Day)", "")]
    return {"US (Pittsburgh, Austin)": us, "Netherlands (Rotterdam)": nl, "France (Lyon)": fr}


def make_holidays_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.properties.created = book.properties.modified = FIXED
    book.properties.creator = book.properties.lastModifiedBy = "People Operations"
    book.properties.title = "Acme Robotics holiday calendar 2026"
    book.remove(book.active)
    for name, rows in holidays_2026().items():
        sheet = book.create_sheet(name)
        sheet.append(["Date", "Weekday", "Holiday", "Notes"])
        for date, holiday, note in rows:
            sheet.append([date.isoformat(), date.strftime("%A"), holiday, note])
        for column, width in zip("ABCD", (12, 11, 40, 40)):
            sheet.column_dimensions[column].width = width
    about = book.create_sheet("About")
    about.append(["Acme Robotics holiday calendar 2026, published by People Operations on "
                  "1 November 2025."])
    about.append(["Singapore follows the public holidays gazetted by the Ministry of Manpower, "
                  "plus Acme Day on 14 August."])
    about.append(["Holidays that fall on a weekend are not replaced, except where local law "
                  "requires it."])
    buffer = io.BytesIO()
    book.save(buffer)
    return stable_zip(buffer.getvalue())


# -- TXT in cp1252: the Lyon lab README ----------------------------------------------------------

LYON_README = """\
LYON R&D LAB – README
=====================

Acme Robotics, Laboratoire R&D de Lyon
12 Rue de la Villette, 69003 Lyon, France (5 minutes’ walk from Lyon Part-Dieu station)
Site lead: Hélène Mercier – helene.mercier@acme-robotics.example – +33 4 55 50 01 20

About the lab
-------------
The Lyon lab opened on 22 September 2025. Its 28 engineers work on robot perception (camera and
lidar fusion for the Porter P2) and on the Sorter S3 parcel-sorting arm. The lab occupies the
second floor of the building; the test floor, called the “Salle d’essais”, measures 180 m².

Opening hours
-------------
The building is open from 7:00 to 20:00, Monday to Friday. Weekend access must be requested from
Hélène Mercier at least 48 hours ahead. The test floor closes at 19:00 every day.

Before you visit
----------------
- Register in Envoy at least 24 hours before your visit, as in every Acme office.
- Bring your RS-101 Robot Floor Safety certificate: without it you cannot enter the Salle d’essais.
- The local safety officer, Frédéric Géraud, gives a 15-minute French/English safety briefing to
  every first-time visitor at 9:30.
- Safety glasses and steel-toe shoes are provided at the entrance (sizes 36 to 47).

Booking the test floor
----------------------
Book the Salle d’essais in the shared calendar “LYS – Salle d’essais” in slots of 2 hours. A
maximum of 4 robots may drive at the same time. Batteries are charged in the fire-safe cabinet
next to the loading door, never at desks.

Practical information
---------------------
Wi-Fi: Acme-Staff for employees, Acme-Guest for visitors (the password changes every Monday).
Coffee: the espresso machine in the “Le Comptoir” kitchen is free; please clean the milk frother.
Lunch: employees receive titres-restaurant (meal vouchers) worth 10 € per worked day, 60% paid by
Acme. The cafés on Rue Garibaldi accept them.
Travel: the nearest metro is Part-Dieu (line B). For train travel to Paris (about 2 hours) follow
the travel and expense policy FIN-007: trains, not flights, for trips under 4 hours.

Emergencies
-----------
Emergency number in France: 112. Fire assembly point: the square in front of the building, next
to the bakery “Boulangerie Saint-Honoré”. First-aid kits are in the kitchen and at the test
floor entrance; the defibrillator hangs at the reception desk.
"""


def main() -> None:
    OUT.mkdir(exist_ok=True)
    files = {
        "travel-expense-policy.pdf": make_policy_pdf(),
        "onboarding-guide.docx": make_onboarding_docx(),
        "q3-2025-company-update.pptx": make_update_pptx(),
        "holiday-calendar-2026.xlsx": make_holidays_xlsx(),
        "lyon-lab-README.txt": LYON_README.replace("\n", "\r\n").encode("cp1252"),
    }
    for name, data in files.items():
        (OUT / name).write_bytes(data)
        print(f"wrote {OUT / name} ({len(data):,} bytes)")


if __name__ == "__main__":
    main()
