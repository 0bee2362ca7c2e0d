"""The DATA command with the message in its transfer form (see wireform).

aiosmtplib's data() would make the transfer form again, with regular expressions over
the whole message on the event loop; send_data() writes the one the message carries.
"""

from __future__ import annotations

__all__ = ["send_data"]

from aiosmtplib import SMTP, SMTPDataError, SMTPResponse, SMTPServerDisconnected, SMTPTimeoutError

_START_INPUT, _COMPLETED = 354, 250


async def send_data(client: SMTP, payload: bytes, /) -> SMTPResponse:
    """Send DATA, then PAYLOAD (a wireform.transfer_form), over CLIENT: the server's final reply.

    SMTPDataError for a reply other than 354 and 250, as client.data() raises it; a lost
    connection or a timeout closes the client and is raised as aiosmtplib raises it.
    """
    start = await client.execute_command(b"DATA")
    if start.code != _START_INPUT:
        raise SMTPDataError(start.code, start.message)
    protocol = client.protocol
    if protocol is None:
        raise SMTPServerDisconnected("Connection lost")
    try:
        # Written and then awaited in one step of this task: the reply cannot come
        # before the protocol expects it.
        protocol.write(payload)
        response = await protocol.read_response(timeout=client.timeout)
    except (SMTPServerDisconnected, SMTPTimeoutError):
        client.close()  # as client.data() does: the connection is out of step now
        raise
    if response.code != _COMPLETED:
        raise SMTPDataError(response.code, response.message)
    return response
