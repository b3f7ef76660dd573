import FleetModel
import Testing

/// Application packages: their content type from the file, and equality by content.
@Suite struct ProcessPackageTests {
    @Test func theContentTypeComesFromTheContent() {
        #expect(ProcessPackage.contentType(path: "p.json", text: #"{"executionUnit": {}}"#) == "application/ogcapppkg+json")
        #expect(ProcessPackage.contentType(path: "p.json", text: #"{"cwlVersion": "v1.2", "class": "Workflow"}"#) == "application/cwl+json")
        #expect(ProcessPackage.contentType(path: "wf.cwl", text: "cwlVersion: v1.2\nclass: Workflow\n") == "application/cwl+yaml")
        #expect(ProcessPackage.contentType(path: "wf.yaml", text: "class: Workflow\n") == "application/cwl+yaml")
    }

    @Test func equalJSONIsTheSamePackageWhateverItsLayout() {
        let package = ProcessPackage(processID: "p", contentType: "application/ogcapppkg+json", body: #"{"a": 1, "b": [1, 2]}"#, source: "p.json")
        #expect(package.isSame(as: #"{"b":[1,2],"a":1}"#))
        #expect(!package.isSame(as: #"{"b":[2,1],"a":1}"#))
        #expect(!package.isSame(as: #"{"a": 1}"#))
        let cwl = ProcessPackage(processID: "p", contentType: "application/cwl+yaml", body: "class: Workflow\n", source: "p.cwl")
        #expect(cwl.isSame(as: "class: Workflow"))
        #expect(!cwl.isSame(as: "class: CommandLineTool"))
    }
}
