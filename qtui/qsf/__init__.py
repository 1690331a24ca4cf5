"""QSF files: the survey format Qualtrics exports and imports ("Export survey" / "Import survey").

- `document`: read a QSF and reach its elements (blocks, flow, questions).
- `export`: a compiled survey (`qtui.qualtrics.compile`) as a QSF, shaped as real exports are.
- `convert`: a QSF as a Questra FullSurvey, as far as it maps, with what did not map.
- `command`: `qtui export SURVEY --qsf FILE` and `qtui import FILE.qsf`.
"""
