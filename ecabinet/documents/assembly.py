"""Writing a PDF made of other PDFs' pages, copying their objects as bytes.

pypdf's PdfWriter parses every object of every source into Python objects, clones them and
serialises the clones: for a 2,000-page meeting book that was most of the time, and the objects it
keeps alive make Python's garbage collector sweep the whole application heap again and again.
Here pypdf only reads the cross-reference tables and the page dictionaries (which the stamps
amend); every other object a page needs is copied as the bytes it has in the source file, with only
its references renumbered, and a stream's data is never decoded.

An object pypdf has parsed (a page dictionary, what the stamps resolved and amended, whatever sits
in an object stream) is written from its parsed form, so an amendment is never lost; so is one
whose bytes are not where the cross-reference table says, or whose /Length is wrong, and pypdf's
repairs apply to it. Amend parsed objects before adding the page that reaches them: an object is
written once, when it is first reached.

Kept over pikepdf (qpdf) on evidence: on the real-world corpus (tests/corpus, bench/corpus.py) its
copies are as right as pikepdf's, and a meeting book costs less CPU (bench/book.py). What it reads
of a file it reads through pypdf, so pypdf's reader bounds it: the corpus test is the check.
"""

from __future__ import annotations

import io
import mmap
import re
import zlib
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pypdf import PageObject, PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    RectangleObject,
    StreamObject,
    TextStringObject,
)

_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"

_OBJECT_HEADER = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj")
# What matters in an object's text: references, strings (which may hold anything, skipped whole),
# comments, and the keywords that end the text. A number followed by "0 R" is a reference only
# when it is a whole token.
_TOKEN = re.compile(
    rb"(?<![\w.+\-#])(\d+)\s+(\d+)\s+R(?![\w#])"
    rb"|(\()"
    rb"|%[^\r\n]*"
    rb"|(?<![\w/#])(endobj|stream)(?![\w#])"
)
_STRING_PART = re.compile(rb"\\.|[()]", re.S)
_LENGTH = re.compile(rb"/Length(?![\w#])\s*(\d+)(?:\s+(\d+)\s+R)?")
_END_OF_DATA = re.compile(rb"\s*endstream")
_ARRAY_START = re.compile(rb"\s*\[")
# Entries a content stream's dictionary must not have for it to become a Form XObject as it is.
_FORM_ENTRIES = re.compile(rb"/(?:Type|Subtype|BBox|Matrix|Resources|Group)(?![\w#])")


class _NotPlain(Exception):
    """The object's bytes are not as the cross-reference table promises: let pypdf read it."""


@dataclass
class _Source:
    reader: PdfReader
    data: bytes | mmap.mmap
    numbers: dict[tuple[int, int], int] = field(default_factory=dict)
    # A reference to a page (a link, an annotation's /P) points at the page's copy, which
    # add_page writes; the page is never copied as an object of its own.
    pages: set[tuple[int, int]] = field(default_factory=set)
    # The Form XObjects made of its pages' content (`page_form`), by content stream and resources.
    forms: dict[tuple, IndirectObject] = field(default_factory=dict)


@dataclass
class Bookmark:
    title: str
    page: IndirectObject | None
    children: list[Bookmark] = field(default_factory=list)


class Assembler:
    """A new PDF written to `out` as it is made: objects added, pages added from sources, finished."""

    def __init__(self, out: BinaryIO):
        self._out = out
        self._position = 0
        self._offsets: list[int | None] = [None]  # object 0 is the head of the free list
        self._sources: dict[int, _Source] = {}
        self._pending: list[tuple[_Source, int, int, int]] = []
        self._kids: list[IndirectObject] = []
        self._names: dict[str, bytes] = {}
        self._tree = self.reserve()
        self._emit(_HEADER)

    # --- sources -------------------------------------------------------------------------

    @contextmanager
    def source(self, pdf: Path | bytes) -> Iterator[PdfReader]:
        """A PDF (a stored file, mapped rather than read, or bytes) whose pages are to be added.

        The file stays open until the block ends; whatever the added pages need from it is written
        by then."""
        with ExitStack() as stack:
            if isinstance(pdf, bytes):
                data: bytes | mmap.mmap = pdf
                stream: BinaryIO = io.BytesIO(pdf)
            else:
                # pypdf reads through the file; the copier slices the map. (pypdf given the map
                # fails on a startxref past the end, which it repairs given a file.)
                stream = stack.enter_context(open(pdf, "rb"))
                data = stack.enter_context(mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ))
            reader = PdfReader(stream)
            if reader.is_encrypted:  # uploads are refused encrypted; a stored file never is
                raise ValueError("An encrypted PDF cannot be copied")
            source = _Source(reader, data)
            source.pages = {
                (page.indirect_reference.idnum, page.indirect_reference.generation)
                for page in reader.pages
                if page.indirect_reference is not None
            }
            self._sources[id(reader)] = source
            try:
                yield reader
            finally:
                del self._sources[id(reader)]
                # Drops what pypdf parsed now: it refers back to the reader, and such cycles
                # would otherwise wait for a full garbage collection of the application's heap.
                reader.close()

    # --- adding --------------------------------------------------------------------------

    def reserve(self) -> IndirectObject:
        self._offsets.append(None)
        return IndirectObject(len(self._offsets) - 1, 0, self)

    def add(self, obj: PdfObject) -> IndirectObject:
        ref = self.reserve()
        self.write(ref, obj)
        return ref

    def write(self, ref: IndirectObject, obj: PdfObject) -> None:
        """Write `obj` (whose references may point into any open source) as the reserved `ref`."""
        buffer = io.BytesIO()
        self._dump(obj, buffer)
        self._emit_object(ref.idnum, buffer.getvalue())
        self._drain()

    def add_stream(self, data: bytes, entries: DictionaryObject | None = None) -> IndirectObject:
        ref = self.reserve()
        self.write_stream(ref, data, entries)
        return ref

    def write_stream(self, ref: IndirectObject, data: bytes, entries: DictionaryObject | None = None) -> None:
        """Write a stream of `data` as it is (no filter) as the reserved `ref`."""
        text = b"<<" + self._entries(entries or {}) + b"/Length %d>>" % len(data)
        self._emit_object(ref.idnum, text, data)
        self._drain()

    def _entries(self, entries: dict) -> bytes:
        """A dictionary's entries as they are written between its << and >>."""
        buffer = io.BytesIO()
        for key, value in entries.items():
            buffer.write(self._name(key))
            buffer.write(b" ")
            self._dump(value, buffer)
            buffer.write(b" ")
        return buffer.getvalue()

    def add_form(self, pdf: bytes, width: float, height: float) -> IndirectObject:
        """The first page of `pdf` as a Form XObject of width × height (drawn once, placed anywhere)."""
        return self.add_forms(pdf, [(width, height)])[0]

    def add_forms(self, pdf: bytes, sizes: list[tuple[float, float]]) -> list[IndirectObject]:
        """The first pages of `pdf`, one Form XObject each, of the sizes given in order; what their
        resources share (a font) is written once."""
        forms = []
        with self.source(pdf) as drawing:
            for page, (width, height) in zip(drawing.pages, sizes, strict=False):
                entries = _dictionary(
                    {
                        "/Type": NameObject("/XObject"),
                        "/Subtype": NameObject("/Form"),
                        "/BBox": RectangleObject([0, 0, width, height]),
                        "/Resources": page.raw_get("/Resources"),
                    }
                )
                forms.append(self.add_stream(page.get_contents().get_data(), entries))
        return forms

    def page_form(self, page: PageObject, box: tuple[float, float, float, float]) -> IndirectObject | None:
        """What a page of an open source draws, as a Form XObject (clipped to `box`, its media box)
        with the page's resources; None if it draws nothing.

        Drawn with `Do`, the page's content is read by itself: what it leaves open (an inline image
        without its end, an array, a dictionary or a string never closed, a q without its Q) ends
        with it, and cannot swallow or disturb what a stamp draws after it, as it could when the
        stamp was one more stream of the page's /Contents (which a viewer reads as one).

        A content stream is copied as its stored bytes, its dictionary given the form's entries, as
        the copier copies any object; where it cannot be (an array of streams, an object pypdf has
        parsed or repaired), the content is decoded as pypdf reads it (which the upload's check has
        done once already) and compressed again."""
        if "/Contents" not in page:
            return None
        contents = page.raw_get("/Contents")
        resources = page.raw_get("/Resources") if "/Resources" in page else None
        entries = {
            "/Type": NameObject("/XObject"),
            "/Subtype": NameObject("/Form"),
            "/BBox": RectangleObject(box),
        }
        if resources is not None:
            entries["/Resources"] = resources
        if isinstance(contents, IndirectObject) and not self.is_array(contents):
            source = self._sources[id(contents.pdf)]
            # Pages that share their content and their resources (by reference, or none) share the form.
            # Resources written in the page itself are the page's own: an object's id() could be reused by
            # another page's once the first is gone, so such a page gets a form of its own.
            key = None
            if isinstance(resources, IndirectObject):
                key = (contents.idnum, contents.generation, resources.idnum, resources.generation, tuple(box))
            elif resources is None:
                key = (contents.idnum, contents.generation, None, None, tuple(box))
            form = source.forms.get(key) if key else None
            if form is None:
                form = self._stored_form(source, contents, entries)
                if form is not None and key:
                    source.forms[key] = form
            if form is not None:
                return form
        content = page.get_contents()
        if content is None:
            return None
        entries["/Filter"] = NameObject("/FlateDecode")
        return self.add_stream(zlib.compress(content.get_data()), _dictionary(entries))

    def _stored_form(self, source: _Source, contents: IndirectObject, entries: dict) -> IndirectObject | None:
        """The content stream `contents` of a source as a Form XObject with `entries` added to its
        dictionary, its data copied as stored; None where its bytes are not plain."""
        offset = _plain_offset(source.reader, contents.idnum, contents.generation)
        if offset is None:
            return None
        try:
            text, data = self._raw(source, offset, contents.idnum, contents.generation)
        except _NotPlain:
            return None
        text = text.strip()
        if (
            data is None
            or not (text.startswith(b"<<") and text.endswith(b">>"))
            or _FORM_ENTRIES.search(text)
        ):
            self._drain()  # whatever its text reached is copied, as for any object
            return None
        ref = self.reserve()
        self._emit_object(ref.idnum, b"<<" + self._entries(_dictionary(entries)) + text[2:], data)
        self._drain()
        return ref

    @property
    def page_count(self) -> int:
        return len(self._kids)

    def add_pages(self, pages: Iterable[PageObject]) -> list[IndirectObject]:
        """Add pages of an open source (stamped or not) at the end, in the one page tree."""
        refs = []
        for page in pages:
            if page.indirect_reference is None:  # a page written inline in its parent's /Kids
                ref = self.reserve()
            else:
                source = self._sources[id(page.indirect_reference.pdf)]
                key = (page.indirect_reference.idnum, page.indirect_reference.generation)
                if key not in source.numbers:
                    source.numbers[key] = self.reserve().idnum
                ref = IndirectObject(source.numbers[key], 0, self)
            page[NameObject("/Parent")] = self._tree
            self.write(ref, page)
            refs.append(ref)
        self._kids += refs
        return refs

    def add_outline(self, bookmarks: list[Bookmark]) -> IndirectObject:
        """An outline (every entry open) for the catalog's /Outlines."""
        root = self.reserve()
        refs, count = self._outline_level(bookmarks, root)
        entries = {"/Type": NameObject("/Outlines"), "/Count": NumberObject(count)}
        if refs:
            entries |= {"/First": refs[0], "/Last": refs[-1]}
        self.write(root, _dictionary(entries))
        return root

    def _outline_level(
        self, bookmarks: list[Bookmark], parent: IndirectObject
    ) -> tuple[list[IndirectObject], int]:
        """The entries' references, and how many entries show (all are open) from here down."""
        refs = [self.reserve() for _ in bookmarks]
        shown = len(bookmarks)
        for index, bookmark in enumerate(bookmarks):
            entries = {"/Title": TextStringObject(bookmark.title), "/Parent": parent}
            if bookmark.page is not None:
                entries["/Dest"] = ArrayObject([bookmark.page, NameObject("/Fit")])
            if index:
                entries["/Prev"] = refs[index - 1]
            if index + 1 < len(refs):
                entries["/Next"] = refs[index + 1]
            if bookmark.children:
                below, count = self._outline_level(bookmark.children, refs[index])
                entries |= {"/First": below[0], "/Last": below[-1], "/Count": NumberObject(count)}
                shown += count
            self.write(refs[index], _dictionary(entries))
        return refs, shown

    def finish(
        self, catalog: dict[str, PdfObject], info: dict[str, PdfObject] | IndirectObject | None
    ) -> None:
        """Write the page tree, the catalog (with `catalog`'s entries), the document information,
        the cross-reference table and the trailer."""
        self.write(
            self._tree,
            _dictionary(
                {
                    "/Type": NameObject("/Pages"),
                    "/Kids": ArrayObject(self._kids),
                    "/Count": NumberObject(len(self._kids)),
                }
            ),
        )
        root = self.add(_dictionary({**catalog, "/Type": NameObject("/Catalog"), "/Pages": self._tree}))
        if isinstance(info, dict):
            info = self.add(_dictionary(info))
        info_ref = None if info is None else self._reference(info)
        self._drain()
        for number, offset in enumerate(self._offsets):
            if number and offset is None:  # a page pointed at (by a link, say) but never added
                self._emit_object(number, b"null")
        xref = self._position
        table = [b"xref\n0 %d\n0000000000 65535 f \n" % len(self._offsets)]
        table += [b"%010d 00000 n \n" % offset for offset in self._offsets[1:]]
        self._emit(b"".join(table))
        trailer = b"trailer\n<</Size %d /Root %d 0 R" % (len(self._offsets), root.idnum)
        if info_ref is not None:
            trailer += b" /Info " + info_ref
        self._emit(trailer + b">>\nstartxref\n%d\n%%%%EOF\n" % xref)

    # --- writing -------------------------------------------------------------------------

    def _emit(self, data: bytes) -> None:
        self._out.write(data)
        self._position += len(data)

    def _emit_object(self, number: int, text: bytes, stream: bytes | None = None) -> None:
        self._offsets[number] = self._position
        if stream is None:
            self._emit(b"%d 0 obj\n%s\nendobj\n" % (number, text))
        else:
            self._emit(b"%d 0 obj\n%s\nstream\n" % (number, text))
            self._emit(stream)
            self._emit(b"\nendstream\nendobj\n")

    def _reference(self, ref: IndirectObject) -> bytes:
        if ref.pdf is self:
            return b"%d 0 R" % ref.idnum
        return self._number(self._sources[id(ref.pdf)], ref.idnum, ref.generation)

    def _number(self, source: _Source, number: int, generation: int) -> bytes:
        """The reference to a source object's copy, queued to be copied the first time it is seen."""
        key = (number, generation)
        copy = source.numbers.get(key)
        if copy is None:
            copy = source.numbers[key] = self.reserve().idnum
            if key not in source.pages:
                self._pending.append((source, number, generation, copy))
        return b"%d 0 R" % copy

    def _drain(self) -> None:
        while self._pending:
            self._copy(*self._pending.pop())

    def _dump(self, obj: PdfObject, out: io.BytesIO) -> None:
        if isinstance(obj, IndirectObject):
            out.write(self._reference(obj))
        elif isinstance(obj, DictionaryObject):
            out.write(b"<<")
            for key, value in obj.items():
                if key == "/Length" and isinstance(obj, StreamObject):
                    continue
                out.write(self._name(key))
                out.write(b" ")
                self._dump(value, out)
                out.write(b" ")
            if isinstance(obj, StreamObject):
                # _data is the stream as it is stored (still encoded), which is what pypdf's own
                # writer copies too; pypdf has no public way to it (get_data decodes, and cannot
                # decode JBIG2 or JPX at all).
                out.write(b"/Length %d>>\nstream\n%s\nendstream" % (len(obj._data), obj._data))
            else:
                out.write(b">>")
        elif isinstance(obj, ArrayObject):
            out.write(b"[")
            for value in obj:
                self._dump(value, out)
                out.write(b" ")
            out.write(b"]")
        elif isinstance(obj, NameObject):
            out.write(self._name(obj))
        elif obj is None:
            out.write(b"null")
        else:
            obj.write_to_stream(out)

    def _name(self, name: NameObject) -> bytes:
        # A book writes /Type, /Contents, /Resources … thousands of times; escaping each again
        # was the largest part of writing a page.
        encoded = self._names.get(name)
        if encoded is None:
            encoded = self._names[name] = name.renumber()
        return encoded

    # --- copying -------------------------------------------------------------------------

    def is_array(self, obj: PdfObject) -> bool:
        """Whether a source's object, or the one a reference points at, is an array; told by its
        first byte where it can be: parsing a page's content stream only to learn that it is not
        an array would cost most of a page."""
        if not isinstance(obj, IndirectObject):
            return isinstance(obj, ArrayObject)
        ref = obj
        source = self._sources[id(ref.pdf)]
        offset = _plain_offset(source.reader, ref.idnum, ref.generation)
        header = None if offset is None else _OBJECT_HEADER.match(source.data, offset)
        if header is None or (int(header[1]), int(header[2])) != (ref.idnum, ref.generation):
            return isinstance(ref.get_object(), ArrayObject)
        return _ARRAY_START.match(source.data, header.end()) is not None

    def _copy(self, source: _Source, number: int, generation: int, copy: int) -> None:
        offset = _plain_offset(source.reader, number, generation)
        if offset is not None:
            try:
                self._emit_object(copy, *self._raw(source, offset, number, generation))
                return
            except _NotPlain:
                pass
        buffer = io.BytesIO()
        self._dump(source.reader.get_object(IndirectObject(number, generation, source.reader)), buffer)
        self._emit_object(copy, buffer.getvalue())

    def _raw(self, source: _Source, offset: int, number: int, generation: int) -> tuple[bytes, bytes | None]:
        """The object's text with its references renumbered, and its stream data if it has one."""
        data = source.data
        header = _OBJECT_HEADER.match(data, offset)
        if header is None or (int(header[1]), int(header[2])) != (number, generation):
            raise _NotPlain
        start = position = header.end()
        parts = []
        while True:
            token = _TOKEN.search(data, position)
            if token is None:
                raise _NotPlain
            if token[1] is not None:
                parts.append(data[position : token.start()])
                parts.append(self._number(source, int(token[1]), int(token[2])))
                position = token.end()
            elif token[3] is not None:
                end = _string_end(data, token.end())
                parts.append(data[position:end])
                position = end
            elif token[4] is None:  # a comment
                parts.append(data[position : token.end()])
                position = token.end()
            else:
                parts.append(data[position : token.start()])
                text = b"".join(parts)
                if token[4] == b"endobj":
                    return text, None
                return text, self._stream_data(source, data[start : token.start()], token.end())

    def _stream_data(self, source: _Source, text: bytes, position: int) -> bytes:
        data = source.data
        if data[position : position + 2] == b"\r\n":
            position += 2
        elif data[position : position + 1] in (b"\n", b"\r"):
            position += 1
        length = _LENGTH.search(text)
        if length is None:
            raise _NotPlain
        if length[2] is None:
            size = int(length[1])
        else:
            size = source.reader.get_object(IndirectObject(int(length[1]), int(length[2]), source.reader))
            if not isinstance(size, int):
                raise _NotPlain
        end = position + size
        if end > len(data) or _END_OF_DATA.match(data, end) is None:
            raise _NotPlain
        return data[position:end]


def _plain_offset(reader: PdfReader, number: int, generation: int) -> int | None:
    """Where an object's bytes are in the file, if they are the object as it stands: not parsed
    (and perhaps amended) by pypdf, not in an object stream, not freed by a later update."""
    offset = reader.xref.get(generation, {}).get(number)
    if (
        offset is None
        or _parsed(reader, number, generation)
        or (generation == 0 and number in reader.xref_objStm)
        or reader.xref_free_entry.get(generation, {}).get(number)
    ):
        return None
    return offset


def _parsed(reader: PdfReader, number: int, generation: int) -> bool:
    """Whether pypdf holds its own parse of the object (which may have been amended).

    pypdf also keeps every cross-reference stream it read under that stream's number, and a later
    update may give the number to another object (pypdf's own incremental writer does): a reference
    to it then means the later object, whose bytes are where the table says, not the old stream."""
    parsed = reader.cache_get_indirect_object(generation, number)
    if parsed is None:
        return False
    return not (isinstance(parsed, StreamObject) and parsed.get("/Type") == "/XRef")


def _string_end(data: bytes | mmap.mmap, position: int) -> int:
    """Where a literal string that opened just before `position` closes (its parentheses nest)."""
    depth = 1
    for part in _STRING_PART.finditer(data, position):
        if part[0] == b"(":
            depth += 1
        elif part[0] == b")":
            depth -= 1
            if depth == 0:
                return part.end()
    raise _NotPlain


def _dictionary(entries: dict[str, PdfObject]) -> DictionaryObject:
    return DictionaryObject({NameObject(key): value for key, value in entries.items()})
