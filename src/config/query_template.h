// The `{{ name }}` placeholders of a custom metric's query (Flagger's template syntax: spaces
// inside the braces are optional). Validation uses it to refuse an unknown placeholder at apply
// time; the controller renders the query with it at each check. Pure functions: any thread.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace canaryd::config {

// Replaces each placeholder by its value in `vars`. nullopt, with *error naming the first
// placeholder `vars` lacks (or an unclosed "{{", or a value with a quote, backslash or line
// break, which could end a PromQL string), when the template cannot be rendered.
std::optional<std::string> RenderQueryTemplate(std::string_view tmpl,
                                               const std::map<std::string, std::string>& vars,
                                               std::string* error);

// Checks that every placeholder is one of `known`; "" when so, else why not.
std::string CheckQueryTemplate(std::string_view tmpl, std::span<const std::string_view> known);

}  // namespace canaryd::config
