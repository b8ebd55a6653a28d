"""The local git clone as a change source: the adapter (``repo``), the history queries (``history``)
and the batched git processes behind them (``process``)."""
