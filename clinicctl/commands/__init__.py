"""One module per command group: parse options, call one service, render the result."""
