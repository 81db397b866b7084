// Aligned text tables for people (status, history): the first row is the header.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace eb::cli {

void PrintTable(const std::vector<std::vector<std::string>>& rows, std::ostream& out);

}  // namespace eb::cli
