"""How the demo prints: headings, the commands a person would type, checked results."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any


class _TrimmedLines:
    """A text stream that drops trailing spaces from each line it passes on."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.pending = ""

    @property
    def encoding(self) -> str:
        return getattr(self.target, "encoding", None) or "utf-8"

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        lines = (self.pending + text).split("\n")
        self.pending = lines.pop()
        if lines:
            self.target.write("".join(line.rstrip(" ") + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.target.write(self.pending)
            self.pending = ""
        self.target.flush()


class Output:
    """Human messages on stderr through rich; plain when NO_COLOR is set or not a terminal."""

    LABEL_WIDTH = 9

    def __init__(self) -> None:
        from clinicctl.output import rich_console

        console = rich_console(stderr=True, highlight=False)
        if not console.is_terminal:
            # Redirected to a file or a pipe: do not fold the lines at 80 columns, and do
            # not leave rich's padding at the ends of the lines.
            console = rich_console(file=_TrimmedLines(console.file), highlight=False,
                                   width=max(console.width, 120))
        self.console = console

    def _text(self, content: str, style: str = "") -> Any:
        from rich.text import Text

        return Text(content, style=style)

    def _indented(self, renderable: Any, indent: int) -> None:
        from rich.padding import Padding

        self.console.print(Padding(renderable, (0, 0, 0, indent), expand=False))

    def line(self, text: str, *, indent: int = 0) -> None:
        self._indented(self._text(text), indent)

    def blank(self) -> None:
        self.console.print()

    def heading(self, text: str) -> None:
        self.blank()
        self.console.print(self._text(text, "bold"))

    def command(self, argv: Sequence[str], *, indent: int = 2, comment: str = "") -> None:
        # Never folded: a command is for copying (the comment is a shell comment).
        text = self._text(" " * indent + "$ " + shlex.join(argv), "cyan")
        if comment:
            text.append(f"  # {comment}", style="dim")
        self.console.print(text, soft_wrap=True)

    def result(self, text: str) -> None:
        self.line(text, indent=2)

    def _item(self, label: str, style: str, text: str) -> None:
        from rich.table import Table

        grid = Table.grid()
        grid.add_column(width=self.LABEL_WIDTH, no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_row(self._text(label, style), self._text(text))
        self._indented(grid, 4)

    def pairs(self, rows: Sequence[tuple[str, str]], *, indent: int) -> None:
        """Label and text, the text folding under itself on a narrow terminal."""
        from rich.table import Table

        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for label, text in rows:
            grid.add_row(self._text(label), self._text(text))
        self._indented(grid, indent)

    def yes(self, text: str) -> None:
        self._item("sees", "green", text)

    def no(self, text: str) -> None:
        self._item("hidden", "yellow", text)

    def refused(self, text: str) -> None:
        self._item("refused", "bold red", text)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], *,
              indent: int = 2) -> None:
        from rich.box import SIMPLE_HEAD
        from rich.table import Table

        table = Table(box=SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
        for header in headers:
            table.add_column(header, overflow="fold")
        for row in rows:
            table.add_row(*(self._text(cell) for cell in row))
        self._indented(table, indent)
