"""HTML helpers the page tests share: reading the app's own controls as a user sees them."""


def checkbox_choices(page, name) -> dict[str, tuple[str, bool]]:
    """The checkboxes of the filter dropdown `name` (macros/filters.html choices_dropdown),
    found from its summary (id = the field's name): value -> (its label as read, with the
    facet count: "GitHub (1)"; whether it is ticked)."""
    dropdown = page.find("summary", id=name).find_parent("details", class_="filter-dropdown")
    out = {}
    for box in dropdown.find_all("input", attrs={"type": "checkbox", "name": name}):
        label = dropdown.find("label", attrs={"for": box["id"]})
        out[box["value"]] = (read_text(label), box.has_attr("checked"))
    return out


def read_text(element) -> str:
    """The text of `element` as assistive technology reads it: without aria-hidden parts,
    white space collapsed."""
    texts = [text for text in element.find_all(string=True)
             if not text.find_parent(attrs={"aria-hidden": "true"})]
    return " ".join("".join(texts).split())


def summary_text(page, name) -> str:
    """What the summary of the filter dropdown `name` reads: "Status: Active, Disabled"."""
    return read_text(page.find("summary", id=name))
