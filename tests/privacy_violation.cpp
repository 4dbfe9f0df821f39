// tests/privacy_violation.cpp: must NOT compile (ctest: agent_cannot_read_other).
//
// A stage-2 rule sees only a StageTwoView; reading the other agent's type
// through it is a compile error. privacy_control.cpp is the same code reading
// the agent's own type, which must compile, so that this test fails for the
// right reason.
#include "agents/agent.hpp"

double peek(const twostage::StageTwoView& view) {
  return view.theta2[0];
}
