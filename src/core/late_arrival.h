// Late arrivals (issue 14, item 3): an arrival for an instance that tripped
// for good (a once-mode instance whose trip does not list it) is never
// consumed. The arrival path finds out from what its evaluation read anyway
// (InstanceEvaluator::late); this is what the engine does then: log it, and
// run the barrier's on_late actions.
//
// on_late runs at least once per late arrival: a failing action fails the
// arrival, whose event is redelivered (a redelivery finds its marker and
// runs them again). Once they all succeeded, P B/I/l/<id> (PUT-if-absent, a
// .done-style body) keeps a later delivery of the same event from running
// them again; two deliveries at the same moment, or a crash between the
// actions and that marker, run them twice (the idempotency key
// "B/I/<gen>/late/<id>" tells a receiver).
#pragma once

#include <string>

#include "base/status.h"
#include "core/config.h"
#include "core/engine_context.h"
#include "core/evaluator.h"

namespace eb {

// Logs `late` (a warning with barrier, instance, key and why) unless it is a
// redelivery (`duplicate`: the event's marker was there already, it was
// counted and logged when first written), then runs spec.on_late for it
// unless l/<id> says they ran. An error: an action (or the store) failed.
Status HandleLateArrival(const EngineContext& ctx, const BarrierSpec& spec, const LateArrival& late,
                         bool duplicate);

}  // namespace eb
