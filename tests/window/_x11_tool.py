"""X11 actions for the window tests (python3-xlib), on $DISPLAY.

    python3 _x11_tool.py close WINDOW   send WM_DELETE_WINDOW, as a window
                                        manager does when the user closes it
    python3 _x11_tool.py cursor         print "visible" or "hidden": whether
                                        the pointer's current cursor image has
                                        any opaque pixel (XFIXES)
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
    # A round trip: the server has handled the request before we hang up
    # (a request still unread when the connection closes may be dropped).
    connection.sync()
    connection.close()


def cursor() -> str:
    connection = display.Display()
    connection.xfixes_query_version()
    image = connection.xfixes_get_cursor_image(connection.screen().root)
    opaque = any((pixel >> 24) & 0xFF for pixel in image.cursor_image)
    connection.close()
    return "visible" if opaque else "hidden"


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "close":
        close(int(sys.argv[2], 0))
    elif len(sys.argv) == 2 and sys.argv[1] == "cursor":
        print(cursor())
    else:
        sys.exit(__doc__)
