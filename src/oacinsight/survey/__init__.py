"""Survey analysis by OAC group: weighted shares with honest intervals, the difference
from the overall share, representation against the area's residents, the Rao–Scott
test and a post-stratified overall share, for the 2021 or the 2011 OAC.

``survey_file`` / ``survey_frame`` are what ``oacinsight survey`` calls (with ``--by``
or ``--period``: ``survey_by_file`` / ``survey_by_frame``); the method is
written up in ``docs/survey.md``.
"""

from oacinsight.survey.by import SurveySlices, survey_by_file, survey_by_frame
from oacinsight.survey.comparison import SurveyComparison
from oacinsight.survey.result import SurveyResult
from oacinsight.survey.run import SurveyOptions, survey_file, survey_frame

__all__ = [
    "SurveyComparison",
    "SurveyOptions",
    "SurveyResult",
    "SurveySlices",
    "survey_by_file",
    "survey_by_frame",
    "survey_file",
    "survey_frame",
]
