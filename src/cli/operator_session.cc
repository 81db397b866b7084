#include "cli/operator_session.h"

namespace eb::cli {

void AddOperatorFlags(CLI::App& sub, OperatorFlags* f, const std::string& by_help,
                      const std::string& reason_help) {
  sub.add_option("--config,-c", f->config, "Configuration file")->required();
  sub.add_option("--state,-s", f->state,
                 "State location (see handle); default: the configuration's state.url");
  sub.add_option("--by", f->by, by_help + " (default: $USER@host)");
  sub.add_option("--reason", f->reason, reason_help);
  sub.add_flag("--json", f->json, "One JSON document instead of the text line");
  sub.add_option("--log-format", f->log.format, "Log lines on stderr: json or text")
      ->check(CLI::IsMember({"json", "text"}));
}

std::unique_ptr<OperatorSession> OpenOperatorSession(const OperatorFlags& flags) {
  auto loaded = LoadConfigAndState(flags.config, flags.state);
  if (!loaded) return nullptr;
  auto s = std::make_unique<OperatorSession>();
  s->loaded = std::move(*loaded);
  s->log = MakeLogger(flags.log, s->clock);
  s->actions =
      std::make_unique<ProcessActions>(*s->loaded.store, *s->log, s->loaded.config().state.prefix);
  s->ctx.reset(new OperatorContext{s->loaded.config(), *s->loaded.store, s->actions->runner(),
                                   s->clock, *s->log, WorkerId()});
  return s;
}

}  // namespace eb::cli
