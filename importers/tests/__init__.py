from pathlib import Path

#: The saved page the reference-page parser was written against (read-only,
#: shared with the other checkouts, hence outside the project directory).
REFERENCE_PAGE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "pages"
    / "military-review-2016-05-25-joint-operations.txt"
)
