"""X11 actions for the window tests (python3-xlib), on $DISPLAY.

    python3 _x11_tool.py close WINDOW   send WM_DELETE_WINDOW, as a window
                                        manager does when the user closes it
"""
import sys

from Xlib import X, display, protocol


def close(window_id: int) -> None:
    connection = display.Display()
    window = connection.create_resource_object("window", window_id)
    protocols = connection.intern_atom("WM_PROTOCOLS")
    delete = connection.intern_atom("WM_DELETE_WINDOW")
    event = protocol.event.ClientMessage(
        window=window,
        client_type=protocols,
        data=(32, [delete, X.CurrentTime, 0, 0, 0]),
    )
    window.send_event(event, event_mask=X.NoEventMask)
    connection.flush()
    connection.close()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "close":
        sys.exit(__doc__)
    close(int(sys.argv[2], 0))
