"""Pure types shared by every area: frozen dataclasses and enums, no I/O."""
