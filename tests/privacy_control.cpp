// tests/privacy_control.cpp: must compile; the control for privacy_violation.cpp.
#include "agents/agent.hpp"

double peek(const twostage::StageTwoView& view) {
  return view.theta[0];
}
