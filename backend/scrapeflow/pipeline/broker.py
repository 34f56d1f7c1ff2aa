"""The single-machine broker: kombu's filesystem transport, with messages that appear whole.

kombu writes a message by creating `<time>_<uuid>.<queue>.msg` in the queue folder and then writing into it,
so a worker listing the folder in between takes an empty file, fails to decode it and stops (seen with two
workers on one folder: "Unrecoverable error: JSONDecodeError"). Here a message is written under a name no
consumer looks at and renamed into place, which is atomic on one filesystem.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> Any:  # type: ignore[override]  # kombu: two signatures
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")  # not a `.msg`: never read
        try:
            with open(partial, "wb", buffering=0) as file:
                file.write(dumps(payload).encode())  # type: ignore[no-untyped-call]  # kombu's encoder
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class FilesystemTransport(filesystem.Transport):
    Channel = Channel
