"""A run that failed in more than one way: the network's lines are noise, a real assertion is
the failure a person fixes first, and each distinct failure is named once with its count
(``logs/mixed.py``)."""

from __future__ import annotations

from dataclasses import replace

from cicd_agent.modes.analyse_failure.log_facts import FailureGroup, FailureType
from cicd_agent.modes.analyse_failure.logs.mixed import groups, merge
from cicd_agent.modes.analyse_failure.logs.noise import noise, real, real_first
from cicd_agent.modes.analyse_failure.logs.region import rank
from tests.modes.analyse_failure.findings import finding

NETWORK = "Connection refused"
ASSERTION = "E       assert 5 == 6"


def test_network_lines_and_the_lines_of_their_message_are_noise() -> None:
    found = [finding(ASSERTION, 10), finding(NETWORK, 50), finding(ASSERTION, 51)]
    assert noise(found) == {1, 2}  # the assertion right after a network line is its message
    assert real(found[0]) and not real(finding("Error: something", 3))


def test_a_real_failure_ranks_before_the_network_whatever_its_weight() -> None:
    network, assertion = finding(NETWORK, 50), finding(ASSERTION, 10)
    ranked = rank([network, assertion])
    assert ranked[0] == network  # the network's line weighs more
    assert real_first(ranked) == [assertion, network]
    only_network = rank([finding(NETWORK, 5), finding("Error: something", 9)])
    assert real_first(only_network) == only_network


def test_each_distinct_failure_is_named_once_real_first_with_its_count() -> None:
    ranked = rank(
        [
            finding(NETWORK, 50),
            finding(ASSERTION, 10),
            finding(ASSERTION, 300),
            finding(NETWORK, 90),
        ]
    )
    assert list(groups(ranked, FailureType.TEST_FAILURE).values()) == [
        FailureGroup(kind=FailureType.TEST_FAILURE, line=ASSERTION.strip(), count=2),
        FailureGroup(kind=FailureType.INFRASTRUCTURE, line=NETWORK, count=2, infrastructure=True),
    ]


def test_a_matrix_that_failed_the_same_way_in_each_job_is_named_once() -> None:
    one = FailureGroup(kind=FailureType.TEST_FAILURE, line="E   assert 5 == 6", count=1)
    net = FailureGroup(kind=FailureType.INFRASTRUCTURE, line=NETWORK, infrastructure=True)
    job = {"net": net, "assert": one}
    assert merge([job, {"assert": one}]) == (replace(one, count=2), net)
