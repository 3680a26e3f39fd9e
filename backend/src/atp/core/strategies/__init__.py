"""Strategy internals: the rule table shared by single-candle evaluation and the replay."""
