"""What members download carries nothing that acts: no JavaScript, no Launch or other actions, no
embedded files, nothing that runs when the file opens.

A paper comes from outside the office (a ministry's submission, a scan, an export); a member opens
our copy of it on a tablet or a laptop whose viewer may run what the file asks. The copies we make
(watermarked, annotated, the meeting book) keep what a reader needs (pages, the outline, links within
the document and to web addresses, page labels) and drop the rest. Where a member downloads the
original itself, it goes out as uploaded only if nothing in it acts (`acts`), otherwise as such a
copy; the original stays stored byte for byte for the record.

Plain functions on pypdf objects, amended in place before a page is written (documents.assembly):
whichever process builds a copy calls them.
"""

from __future__ import annotations

from collections.abc import Iterator

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, PdfObject

# A reader's viewing needs from the catalog; everything else (an /OpenAction that acts, /AA, /AcroForm with its
# scripts and XFA, /Names with /JavaScript and /EmbeddedFiles, /StructTreeRoot, which reaches the
# annotations dropped here) stays behind.
CATALOG_KEPT = (
    "/Outlines",
    "/PageLabels",
    "/PageMode",
    "/PageLayout",
    "/ViewerPreferences",
    "/Lang",
    "/Dests",
)
# Actions that only move the reader: within the document, to a web page, a viewer's own command
# (next page). Launch, JavaScript, SubmitForm, ImportData, GoToR, GoToE, Rendition, Movie, Sound … go.
SAFE_ACTIONS = {"/GoTo", "/URI", "/Named"}
SAFE_SCHEMES = ("http://", "https://", "mailto:")
# Annotations that are files, media or 3D content rather than marks on the page.
UNSAFE_ANNOTATIONS = {"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"}
# What acts wherever it sits in a file: keys that hold scripts, triggered actions, attached files or an
# XFA form, and the types of the actions that run or fetch something.
ACTING_KEYS = {"/JS", "/JavaScript", "/AA", "/EmbeddedFiles", "/EmbeddedFile", "/XFA"}
ACTING_TYPES = {
    "/JavaScript",
    "/Launch",
    "/SubmitForm",
    "/ImportData",
    "/GoToR",
    "/GoToE",
    "/Rendition",
    "/Movie",
    "/Sound",
    "/RichMediaExecute",
}


def catalog_entries(root: DictionaryObject) -> dict[str, PdfObject]:
    """The entries of a source's catalog a member's copy keeps, its outline made safe."""
    kept: dict[str, PdfObject] = {key: root.raw_get(key) for key in CATALOG_KEPT if key in root}
    names = _entry(root, "/Names")
    if isinstance(names, DictionaryObject) and "/Dests" in names:
        # Named destinations (links and outline entries may use them); not the scripts and files.
        kept["/Names"] = DictionaryObject({NameObject("/Dests"): names.raw_get("/Dests")})
    if "/OpenAction" in root and not _opens_with_action(root) and _plain_destination(root["/OpenAction"]):
        kept["/OpenAction"] = root.raw_get("/OpenAction")  # only where and how the viewer opens
    if "/Outlines" in root:
        clean_outline(root["/Outlines"])
    return kept


def _opens_with_action(root: DictionaryObject) -> bool:
    """An /OpenAction that is an action, not just the page and zoom to open at (an array)."""
    return "/OpenAction" in root and not isinstance(_entry(root, "/OpenAction"), ArrayObject)


def acts(reader: PdfReader) -> bool:
    """Whether anything in the PDF acts: what the functions below would remove or the catalog's
    scripts, open actions, embedded files or XFA form, or anything that acts wherever it sits in the
    file (a page tree node's triggered actions, an annotation only a note's /Popup reaches): the original
    goes out as uploaded only if nothing in it does. (It amends the reader's objects to find out.)"""
    if any(_acting(obj) for obj in _objects(reader)):
        return True
    root = reader.root_object
    names, form = _entry(root, "/Names"), _entry(root, "/AcroForm")
    if (
        _opens_with_action(root)
        or "/AA" in root
        or (isinstance(names, DictionaryObject) and set(names) - {"/Dests"})
        or (isinstance(form, DictionaryObject) and "/XFA" in form)
    ):
        return True
    outlines = _entry(root, "/Outlines")
    if isinstance(outlines, DictionaryObject) and clean_outline(outlines):
        return True
    return any(clean_page(page) for page in reader.pages)


def _objects(reader: PdfReader) -> Iterator[PdfObject]:
    """Every object the file holds, referenced or not (a broken or free one is passed over)."""
    for number in range(1, int(reader.trailer.get("/Size", 0))):
        try:
            obj = reader.get_object(number)
        except Exception:  # pypdf raises many kinds on a damaged object, which acts in no viewer either
            continue
        if obj is not None:
            yield obj


def _acting(obj: PdfObject) -> bool:
    """Whether a dictionary, or one inside it, acts by itself (see ACTING_KEYS and ACTING_TYPES)."""
    pending, seen = [obj], 0
    while pending and seen < 10_000:  # direct objects only: references are objects of their own
        obj, seen = pending.pop(), seen + 1
        if isinstance(obj, DictionaryObject):
            if ACTING_KEYS & set(obj) or obj.get("/S") in ACTING_TYPES:
                return True
            if obj.get("/S") == "/URI" and not _safe(obj):
                return True
            if obj.get("/Subtype") in UNSAFE_ANNOTATIONS:
                return True
            pending += [v for v in obj.values() if isinstance(v, DictionaryObject | ArrayObject)]
        elif isinstance(obj, ArrayObject):
            pending += [v for v in obj if isinstance(v, DictionaryObject | ArrayObject)]
    return False


def _plain_destination(destination: PdfObject) -> bool:
    """A destination as it should be (a page, where on it and how large): no dictionary in it, which
    is where a script was put for a viewer that reads one anyway."""
    destination = destination.get_object()
    if isinstance(destination, DictionaryObject):
        return False
    return not isinstance(destination, ArrayObject) or not any(
        isinstance(v.get_object(), DictionaryObject) and v.get_object().get("/Type") != "/Page"
        for v in destination
    )


def clean_outline(outlines: DictionaryObject) -> bool:
    """Every outline entry's action made safe, depth first (entries link /First, /Next); whether any
    had to be."""
    pending = [_entry(outlines, "/First")]
    seen: set[int] = set()
    changed = False
    while pending:
        entry = pending.pop()
        if not isinstance(entry, DictionaryObject) or id(entry) in seen:
            continue  # a broken or looping outline ends there
        seen.add(id(entry))
        changed |= _clean_action_of(entry)
        pending += [_entry(entry, "/Next"), _entry(entry, "/First")]
    return changed


def clean_page(page: DictionaryObject) -> bool:
    """A page without actions of its own, its annotations without unsafe actions or content; whether
    it had any."""
    changed = _drop(page, "/AA")
    if "/Annots" not in page:
        return changed
    annotations = page["/Annots"]
    if not isinstance(annotations, ArrayObject):
        del page["/Annots"]
        return True
    kept = ArrayObject()
    for reference in annotations:
        annotation = reference.get_object()
        if (
            not isinstance(annotation, DictionaryObject)
            or _entry(annotation, "/Subtype") in UNSAFE_ANNOTATIONS
        ):
            changed = True
            continue
        changed |= _clean_action_of(annotation)
        # The annotations a note reaches (its pop-up, the one it replies to) are copied with it.
        for key in ("/Popup", "/IRT"):
            reached = _entry(annotation, key)
            if isinstance(reached, DictionaryObject):
                changed |= _clean_action_of(reached)
        field = _entry(annotation, "/Parent")
        while isinstance(field, DictionaryObject):  # a form field's scripts
            changed |= _drop(field, "/AA")
            field = _entry(field, "/Parent")
        kept.append(reference)
    if changed:
        page[NameObject("/Annots")] = kept
    return changed


def _clean_action_of(holder: DictionaryObject) -> bool:
    """Drop the triggered actions (/AA) and an unsafe /A, or a link's unsafe /PA (the action it "formerly"
    had, which a script rode in on into every copy); a safe one loses what would follow it. Whether
    there was anything to drop."""
    changed = _drop(holder, "/AA")
    if "/Dest" in holder and not _plain_destination(holder["/Dest"]):
        changed |= _drop(holder, "/Dest")
    for key in ("/A", "/PA"):
        action = _entry(holder, key)
        if action is None:
            continue
        if not _safe(action):
            changed |= _drop(holder, key)
        else:
            changed |= _drop(action, "/Next")
    return changed


def _drop(holder: DictionaryObject, key: str) -> bool:
    if key not in holder:
        return False
    del holder[key]
    return True


def _safe(action: PdfObject) -> bool:
    if not isinstance(action, DictionaryObject) or _entry(action, "/S") not in SAFE_ACTIONS:
        return False
    if action["/S"] == "/URI":
        uri = _entry(action, "/URI")
        text = uri.decode("latin-1", "replace") if isinstance(uri, bytes) else str(uri or "")
        return text.strip().lower().startswith(SAFE_SCHEMES)
    return True


def _entry(holder: DictionaryObject, key: str) -> PdfObject | None:
    """The entry, resolved when it is a reference; None when missing."""
    value = holder.get(key)
    return None if value is None else value.get_object()
