#include "core/pattern.h"

#include <set>

namespace eb {

std::vector<std::string> SplitKey(const std::string& key) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t slash = key.find('/', start);
    if (slash == std::string::npos) {
      parts.push_back(key.substr(start));
      return parts;
    }
    parts.push_back(key.substr(start, slash - start));
    start = slash + 1;
  }
}

std::string BindingValueProblem(std::string_view value) {
  if (value.empty()) return "an empty segment";
  if (value == "." || value == "..")
    return "'" + std::string(value) + "' names a directory, not a value";
  if (value.size() > kMaxBindingValue) {
    return std::to_string(value.size()) + " bytes, over the bound of " +
           std::to_string(kMaxBindingValue);
  }
  for (size_t i = 0; i < value.size(); ++i) {
    auto c = static_cast<unsigned char>(value[i]);
    // C0 controls and DEL; C1 controls are U+0080..U+009F, UTF-8 C2 80..C2 9F.
    bool c1 = c == 0xC2 && i + 1 < value.size() &&
              static_cast<unsigned char>(value[i + 1]) >= 0x80 &&
              static_cast<unsigned char>(value[i + 1]) <= 0x9F;
    if (c < 0x20 || c == 0x7F || c1) return "a control character at byte " + std::to_string(i);
  }
  return "";
}

static bool IsValidVariableName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  if (!(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

Result<Pattern> Pattern::Parse(const std::string& text) {
  if (text.empty()) return Status::InvalidArgument("empty pattern");
  Pattern p;
  p.text_ = text;
  std::set<std::string> seen;
  for (const std::string& part : SplitKey(text)) {
    if (part.empty()) {
      return Status::InvalidArgument("'" + text + "' has an empty path segment (leading, trailing or double '/')");
    }
    size_t open = part.find('{');
    size_t close = part.find('}');
    if (open == std::string::npos && close == std::string::npos) {
      p.segments_.push_back({false, part});
      continue;
    }
    if (open != 0 || close != part.size() - 1 || part.find('{', 1) != std::string::npos) {
      return Status::InvalidArgument("'" + text + "': a variable must be a whole path segment like {date}, got '" + part + "'");
    }
    std::string name = part.substr(1, part.size() - 2);
    if (!IsValidVariableName(name)) {
      return Status::InvalidArgument("'" + text + "': invalid variable name '" + name + "' (letters, digits, '_')");
    }
    if (!seen.insert(name).second) {
      return Status::InvalidArgument("'" + text + "': variable {" + name + "} appears twice");
    }
    p.segments_.push_back({true, name});
  }
  return p;
}

std::optional<Bindings> Pattern::Match(const std::string& key) const {
  // Walk the key segment by segment without allocating the whole split.
  Bindings bindings;
  size_t pos = 0;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (pos > key.size()) return std::nullopt;
    size_t slash = key.find('/', pos);
    size_t end = slash == std::string::npos ? key.size() : slash;
    std::string_view part(key.data() + pos, end - pos);
    const Segment& seg = segments_[i];
    if (seg.is_variable) {
      bindings.emplace(seg.text, std::string(part));
    } else if (part != seg.text) {
      return std::nullopt;
    }
    if (slash == std::string::npos) {
      if (i + 1 != segments_.size()) return std::nullopt;
      return bindings;
    }
    pos = slash + 1;
  }
  return bindings;  // the key continues with '/': under the member
}

bool Pattern::Overlaps(const Pattern& other) const {
  size_t n = std::min(segments_.size(), other.segments_.size());
  for (size_t i = 0; i < n; ++i) {
    const Segment& a = segments_[i];
    const Segment& b = other.segments_[i];
    if (!a.is_variable && !b.is_variable && a.text != b.text) return false;
  }
  return true;
}

std::string Pattern::Render(const Bindings& bindings) const {
  std::string out;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (i) out.push_back('/');
    const Segment& seg = segments_[i];
    if (!seg.is_variable) {
      out += seg.text;
    } else if (auto it = bindings.find(seg.text); it != bindings.end()) {
      out += it->second;
    } else {
      out += "{" + seg.text + "}";
    }
  }
  return out;
}

std::vector<std::string> Pattern::Variables() const {
  std::vector<std::string> vars;
  for (const auto& s : segments_) {
    if (s.is_variable) vars.push_back(s.text);
  }
  return vars;
}

}  // namespace eb
