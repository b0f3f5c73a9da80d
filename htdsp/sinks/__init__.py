"""The outputs of a score (:class:`htdsp.pipeline.Sink`): each takes the records as they
become final, so none holds a run's windows.

- :class:`~htdsp.sinks.document.JsonSink`: the JSON document (schema ``htdsp.score/3``); its
  windows and events are spooled to a temporary file beside the output as they come and
  copied into the document at the end of each capture.
- :class:`~htdsp.sinks.table.CsvSink`: the per-window CSV (spooled per channel, so the rows of
  a channel stay together).
- :class:`~htdsp.sinks.jsonl.JsonLinesSink`: JSON lines, one record as it finishes (``type``
  ``window``, ``transmission``, ``summary``).
- :class:`~htdsp.sinks.html.HtmlSink`: the self-contained HTML report, from decimated series.
- :class:`~htdsp.sinks.annotations.AnnotationSink`: ``NAME.scored.sigmf-meta`` beside a
  recording.
- :class:`~htdsp.sinks.recorder.RecorderSink`, :class:`~htdsp.sinks.terminal.DisplaySink`,
  :class:`~htdsp.sinks.terminal.PlayerSink`: the live recording, meter and audio.
"""

from htdsp._lazy import lazy

__getattr__, __dir__ = lazy(globals(), {
    "JsonSink": "htdsp.sinks.document", "schema": "htdsp.sinks.document",
    "CsvSink": "htdsp.sinks.table", "csv_text": "htdsp.sinks.table",
    "JsonLinesSink": "htdsp.sinks.jsonl", "HtmlSink": "htdsp.sinks.html",
    "AnnotationSink": "htdsp.sinks.annotations", "RecorderSink": "htdsp.sinks.recorder",
    "Recorder": "htdsp.sinks.recorder", "DisplaySink": "htdsp.sinks.terminal",
    "PlayerSink": "htdsp.sinks.terminal",
})
