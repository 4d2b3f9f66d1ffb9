from pathlib import Path

#: The reference page bundled with the project (what `tribune demo` imports).
REFERENCE_PAGE = (
    Path(__file__).resolve().parents[1]
    / "pages"
    / "military-review-2016-05-25-joint-operations.txt"
)

#: The same page as shared beside the checkout, where there is one.
SHARED_REFERENCE_PAGE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "pages"
    / "military-review-2016-05-25-joint-operations.txt"
)
