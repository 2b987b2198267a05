#include "rules/yaml_document.hpp"

#include <yaml-cpp/eventhandler.h>

#include <sstream>
#include <vector>

namespace certfleet::rules {

namespace {

// Where each document of a stream starts and where its root node is; the nodes themselves are not kept.
class DocumentMarks : public YAML::EventHandler {
public:
    struct Document {
        YAML::Mark start;
        std::optional<YAML::Mark> root;
    };
    std::vector<Document> documents;

    void OnDocumentStart(const YAML::Mark& mark) override { documents.push_back({mark, std::nullopt}); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node_at(mark); }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node_at(mark); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override {
        node_at(mark);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
        node_at(mark);
    }
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
        node_at(mark);
    }
    void OnMapEnd() override {}

private:
    void node_at(const YAML::Mark& mark) {
        if (!documents.empty() && !documents.back().root) documents.back().root = mark;
    }
};

}  // namespace

FirstDocument read_first_document(const std::string& text) {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    DocumentMarks marks;
    while (marks.documents.size() < 2 && parser.HandleNextDocument(marks)) {
    }
    FirstDocument first;
    if (marks.documents.empty()) return first;
    if (marks.documents.size() == 2) {
        const YAML::Mark& stuck = marks.documents[1].start;
        // A second document where the first began: the parser read nothing, the token there starts no value.
        if (stuck.pos == marks.documents[0].start.pos) {
            const auto at = static_cast<std::size_t>(stuck.pos);
            throw YAML::ParserException(stuck, at < text.size() ? std::string("unexpected '") + text[at] + "'"
                                                                : std::string("unexpected end of the file"));
        }
        first.next_root_mark = marks.documents[1].root.value_or(marks.documents[1].start);
        return first;
    }
    first.root = YAML::Load(text);
    return first;
}

}  // namespace certfleet::rules
