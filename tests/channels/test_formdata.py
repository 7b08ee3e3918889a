"""multipart/form-data as Mailgun and SendGrid post it: fields, files, encodings, line ends."""

from __future__ import annotations

from contactcenter.channels.formdata import parts


def test_fields_files_and_encodings() -> None:
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="to"\r\n\r\nhelp@acme.test\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="text"\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nline one\r\nline two\r\n"
        b'--XyZ\r\nContent-Disposition: form-data; name="attachment1"; filename="a b.pdf"\r\n'
        b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"JVBERi0xLjQK\r\n"
        b"--XyZ--\r\n"
    )
    found = parts(body, 'multipart/form-data; boundary="XyZ"')
    assert [(p.name, p.filename, p.content_type) for p in found] == [
        ("to", None, "text/plain"), ("text", None, "text/plain"),
        ("attachment1", "a b.pdf", "application/pdf")]  # fmt: skip
    assert found[1].data == b"line one\r\nline two"  # the field's own line breaks stay
    assert found[2].data == b"%PDF-1.4\n"


def test_bare_newlines_and_odd_input() -> None:
    body = b'--B\nContent-Disposition: form-data; name="email"\n\nHello\n--B--\n'
    [p] = parts(body, "multipart/form-data; boundary=B")
    assert (p.name, p.data) == ("email", b"Hello")
    assert parts(body, "multipart/form-data") == []  # no boundary: nothing to split on
    assert parts(body, "application/x-www-form-urlencoded") == []
    nameless = b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--\r\n"
    assert parts(nameless, "multipart/form-data; boundary=B") == []


def test_a_delimiter_inside_a_value_is_text_and_repeated_fields_count_for_nothing() -> None:
    """SendGrid's boundary is well known: a mail quoting it mid-line stays one value, and a
    field given twice (a forged `dkim` smuggled in at a line start) is dropped, not believed."""
    from contactcenter.channels.email import form_fields

    inline = (b'--xYzZY\r\nContent-Disposition: form-data; name="text"\r\n\r\n'
              b"see --xYzZY here\r\n--xYzZY--\r\n")  # fmt: skip
    [p] = parts(inline, "multipart/form-data; boundary=xYzZY")
    assert p.data == b"see --xYzZY here"
    forged = (b'--xYzZY\r\nContent-Disposition: form-data; name="dkim"\r\n\r\n{@a.org : fail}\r\n'
              b'--xYzZY\r\nContent-Disposition: form-data; name="email"\r\n\r\nx\r\n'
              b'--xYzZY\r\nContent-Disposition: form-data; name="dkim"\r\n\r\n{@evil.org : pass}\r\n'
              b"--xYzZY--\r\n")  # fmt: skip
    assert form_fields(forged, "multipart/form-data; boundary=xYzZY") == {"email": "x"}
