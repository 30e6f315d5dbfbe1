"""The official fal client (PyPI `fal-client`) drives the emulator's queue and synchronous hosts over HTTPS."""

import fal_client
import requests

from conftest import CERT

ENDPOINT = "fal-ai/bytedance/seedream/v5/lite/text-to-image"


def test_submit_status_result(tls_emulator):
    handle = fal_client.submit(ENDPOINT, {"prompt": "a lighthouse", "image_size": {"width": 2848, "height": 1600}, "num_images": 2})
    assert handle.request_id
    first = handle.status(with_logs=True)
    assert isinstance(first, (fal_client.Queued, fal_client.InProgress, fal_client.Completed))
    result = handle.get()
    assert len(result["images"]) == 2
    image = result["images"][0]
    assert (image["width"], image["height"]) == (2848, 1600)
    assert image["content_type"] == "image/png"
    assert isinstance(result["seed"], int)
    # The output URL serves the image.
    download = requests.get(image["url"], verify=CERT, timeout=10)
    assert download.status_code == 200 and download.content[:8] == b"\x89PNG\r\n\x1a\n"
    final = handle.status(with_logs=True)
    assert isinstance(final, fal_client.Completed)
    assert final.error is None
    # The module-level functions rebuild status/result URLs from owner/alias: the emulator serves those too.
    assert fal_client.result(ENDPOINT, handle.request_id)["images"][0]["url"] == image["url"]
    assert isinstance(fal_client.status(ENDPOINT, handle.request_id), fal_client.Completed)


def test_events_move_through_the_queue(tls_emulator):
    handle = fal_client.submit(ENDPOINT, {"prompt": "events"})
    kinds = [type(event).__name__ for event in handle.iter_events(with_logs=True, interval=0.05)]
    assert kinds[-1] == "Completed"
    assert "Queued" in kinds or "InProgress" in kinds


def test_subscribe_runs_to_the_end(tls_emulator):
    updates = []
    result = fal_client.subscribe(ENDPOINT, {"prompt": "subscribe", "num_images": 1}, with_logs=True, on_queue_update=updates.append)
    assert len(result["images"]) == 1
    assert updates


def test_cancel_a_queued_request(tls_emulator):
    handle = fal_client.submit(ENDPOINT, {"prompt": "cancel me"})
    handle.cancel()  # raises on a non-2xx answer
    status = handle.status()
    assert isinstance(status, fal_client.Completed)
    assert status.error is not None


def test_run_on_the_synchronous_host(tls_emulator):
    result = fal_client.run(ENDPOINT, {"prompt": "sync", "image_size": "square_hd"})
    assert result["images"][0]["width"] == 1024


def test_errors_surface_as_fal_client_errors(tls_emulator):
    try:
        fal_client.run(ENDPOINT, {"prompt": "bad size", "image_size": {"width": 5, "height": 5}})
    except fal_client.client.FalClientHTTPError as error:
        assert error.status_code == 422
    else:
        raise AssertionError("expected a 422")


def test_async_client(tls_emulator):
    import asyncio

    async def main():
        handle = await fal_client.submit_async(ENDPOINT, {"prompt": "async"})
        return await handle.get()

    assert len(asyncio.run(main())["images"]) == 1
