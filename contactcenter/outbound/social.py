"""The public-thread platforms' send APIs (CHANNELS.md §5, §7, §8, §15, §16): X, YouTube,
LinkedIn, Google reviews and Flickr; each a request builder and the reading of its answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp

from contactcenter.outbound.base import Outgoing, Result, wait_asked


def x_request(
    out: Outgoing, base: str, media_id: str | None = None
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A DM to the person (with the picture uploaded as `media_id`), or a public reply to
    their latest post (CHANNELS.md §5e)."""
    headers = {"Authorization": f"Bearer {out.credentials['access_token']}"}
    if out.to.startswith("mention:"):
        text = f"@{out.mention} {out.text or ''}" if out.mention else out.text or ""
        body: dict[str, Any] = {"text": text}
        if out.reply_to:
            body["reply"] = {"in_reply_to_tweet_id": out.reply_to}
        return f"{base.rstrip('/')}/2/tweets", headers, body
    dm: dict[str, Any] = {"text": out.text or ""}
    if media_id:  # a picture alone: X takes no empty text beside it
        dm = ({"text": out.text} if out.text else {}) | {"attachments": [{"media_id": media_id}]}
    return f"{base.rstrip('/')}/2/dm_conversations/with/{out.to}/messages", headers, dm


async def x_upload(
    http: aiohttp.ClientSession, base: str, out: Outgoing, timeout_s: float
) -> str | Result:
    """The DM's picture uploaded in one request (POST /2/media/upload, media_category
    dm_image, OAuth 2.0 user token with media.write): its media id, or why not."""
    f = out.files[0]
    form = aiohttp.FormData()
    form.add_field("media_category", "dm_image")
    form.add_field("media_type", f.mime_type)
    form.add_field("media", f.data or b"", filename=f.name, content_type=f.mime_type)
    headers = {"Authorization": f"Bearer {out.credentials['access_token']}"}
    try:
        async with http.post(f"{base.rstrip('/')}/2/media/upload", data=form, headers=headers,
                             timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:  # fmt: skip
            status = resp.status
            try:
                data = await resp.json(content_type=None)
            except ValueError:
                data = None
            wait = wait_asked(status, resp.headers, data)
    except (TimeoutError, aiohttp.ClientError) as exc:
        return Result("retry", error=f"x did not answer: {type(exc).__name__}")
    found = data.get("data") if isinstance(data, dict) else None
    media: dict[str, Any] = found if isinstance(found, dict) else {}
    if status < 300:
        if media.get("id"):
            return str(media["id"])
        return Result("failed", error="X accepted the picture but returned no media id.")
    if status == 403:
        return Result("failed", error="X refused the picture's upload (403): the access_token "
                      "needs the media.write scope; authorize the app again with it.")  # fmt: skip
    failed = x_result(status, data)
    return Result(failed.outcome, error=f"The picture's upload failed: {failed.error}",
                  retry_after_s=wait if failed.outcome == "retry" else None)  # fmt: skip


def youtube_request(out: Outgoing, base: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A reply under the thread's top-level comment (comments.insert, youtube.force-ssl)."""
    thread = out.to.removeprefix("thread:")
    return (
        f"{base.rstrip('/')}/youtube/v3/comments?part=snippet",
        {"Authorization": f"Bearer {out.credentials['access_token']}"},
        {"snippet": {"parentId": thread, "textOriginal": out.text or ""}},
    )


LINKEDIN_VERSION = "202411"


def linkedin_request(out: Outgoing, base: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A comment as the organization, answering the activity (CHANNELS.md §7e)."""

    post = out.to.removeprefix("post:")
    headers = {
        "Authorization": f"Bearer {out.credentials['access_token']}",
        "LinkedIn-Version": LINKEDIN_VERSION,
        "X-Restli-Protocol-Version": "2.0.0",
    }
    body: dict[str, Any] = {
        "actor": out.credentials["organization"],
        "object": post,
        "message": {"text": out.text or ""},
    }
    if out.reply_to and out.reply_to.startswith("urn:li:comment:"):
        body["parentComment"] = out.reply_to
    return f"{base.rstrip('/')}/rest/socialActions/{quote(post, safe='')}/comments", headers, body


def review_reply_request(out: Outgoing, base: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The owner's reply to a review (PUT: one reply per review, replacing the last)."""
    review = out.to.removeprefix("review:")
    headers = {"Authorization": f"Bearer {out.credentials['access_token']}"}
    return f"{base.rstrip('/')}/v4/{review}/reply", headers, {"comment": out.text or ""}


def flickr_request(out: Outgoing, base: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """addComment on the photo, OAuth 1.0a signed form fields (write permission)."""
    from contactcenter.channels.flickr import signed_params

    url = f"{base.rstrip('/')}/services/rest/"
    params = {
        "method": "flickr.photos.comments.addComment",
        "format": "json",
        "nojsoncallback": "1",
        "photo_id": out.to.removeprefix("photo:"),
        "comment_text": out.text or "",
    }
    return url, {}, signed_params("POST", url, params, out.credentials)


def flickr_result(status: int, data: Any) -> Result:
    body = data if isinstance(data, dict) else {}
    if status < 300 and body.get("stat") == "ok":
        return Result("sent", platform_id=str((body.get("comment") or {}).get("id", "")))
    if status >= 500:
        return Result("retry", error=f"Flickr answered HTTP {status}")
    text = f"Flickr error {body.get('code')}: {body.get('message', 'no message')}"
    return Result("retry" if body.get("code") == 9 else "failed", error=text)  # 9: too fast


def review_result(status: int, data: Any, to: str) -> Result:
    body = data if isinstance(data, dict) else {}
    if status < 300:
        return Result("sent", platform_id=f"{to}/reply@{body.get('updateTime', '')}")
    err = body.get("error") or {}
    text = f"Google error {status}: {err.get('message', 'no message')}"
    return Result("retry" if status >= 500 or status == 429 else "failed", error=text)


def linkedin_result(status: int, data: Any, headers: Mapping[str, str]) -> Result:
    if status < 300:
        pid = headers.get("x-restli-id") or (data or {}).get("id") or (data or {}).get("$URN")
        return Result("sent", platform_id=str(pid or "linkedin-comment"))
    message = (data or {}).get("message") if isinstance(data, dict) else None
    text = f"LinkedIn error {status}: {message or 'no message'}"
    return Result("retry" if status >= 500 or status == 429 else "failed", error=text)


def youtube_result(status: int, data: Any) -> Result:
    body = data if isinstance(data, dict) else {}
    if status < 300 and body.get("id"):
        return Result("sent", platform_id=str(body["id"]))
    err = body.get("error") or {}
    reasons = [e.get("reason") for e in err.get("errors") or [] if isinstance(e, dict)]
    text = f"YouTube error {status}: {err.get('message', 'no message')}"
    if "quotaExceeded" in reasons:
        return Result(
            "failed",
            error=text + " (the daily quota is used up; send it again after midnight Pacific time)",
        )
    return Result("retry" if status >= 500 or status == 429 else "failed", error=text)


def x_result(status: int, data: Any) -> Result:
    body = data if isinstance(data, dict) else {}
    if status < 300:
        found = body.get("data") or {}
        pid = found.get("id") or found.get("dm_event_id")
        if pid:
            return Result("sent", platform_id=str(pid))
        return Result("failed", error="X accepted the message but returned no id.")
    errors = body.get("errors") or []
    detail = body.get("detail") or (errors[0].get("message") if errors else None) or "no detail"
    text = f"X error {status}: {detail}"
    if status == 403:
        text += " (the person may not accept DMs from this account)"
    return Result("retry" if status >= 500 or status == 429 else "failed", error=text)
