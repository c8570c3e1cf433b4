"""The registry and what publish writes there: names, references, the layout, push and tags, the commit's time."""
