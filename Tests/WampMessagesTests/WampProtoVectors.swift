/// Facts from the WAMP spec's conformance vectors (wamp-proto/wamp-proto, testsuite/singlemessage):
/// for each sample, its compact JSON bytes and its MessagePack bytes (hex). Data only.
enum WampProtoVectors {
    struct Sample {
        var description: String
        var code: Int64
        var json: String
        var msgpackHex: String
    }

    static let samples: [Sample] = [
        Sample(
            description: "CANCEL with empty Options (basic cancellation)", code: 49,
            json: #"[49,7814135,{}]"#,
            msgpackHex: "9331ce00773bf780"),
        Sample(
            description: "EVENT_RECEIVED acknowledgment", code: 337,
            json: #"[337,5512315355]"#,
            msgpackHex: "92cd0151cf00000001488f41db"),
        Sample(
            description: "INTERRUPT with empty Options (basic interruption)", code: 69,
            json: #"[69,6131533,{}]"#,
            msgpackHex: "9345ce005d8f4d80"),
        Sample(
            description: "PUBLISH with exclude_me=false (publisher receives its own event)", code: 16,
            json: #"[16,239714735,{"exclude_me":false},"com.myapp.mytopic1",["Hello, world!"]]"#,
            msgpackHex: "9510ce0e49c1af81aa6578636c7564655f6d65c2b2636f6d2e6d796170702e6d79746f7069633191ad48656c6c6f2c20" + "776f726c6421"),
        Sample(
            description: "ABORT with empty Details (basic profile)", code: 3,
            json: #"[3,{},"wamp.error.system_shutdown"]"#,
            msgpackHex: "930380ba77616d702e6572726f722e73797374656d5f73687574646f776e"),
        Sample(
            description: "AUTHENTICATE with empty Extra (basic profile)", code: 5,
            json: #"[5,"gir1mSx+deCDUV7FgLvsQNTi6n3W/Z/WcZ/OT9RwdZY=",{}]"#,
            msgpackHex: "9305d92c676972316d53782b6465434455563746674c7673514e5469366e33572f5a2f57635a2f4f54395277645a593d" + "80"),
        Sample(
            description: "CALL with positional args only", code: 48,
            json: #"[48,7814135,{},"com.myapp.myprocedure1",["Hello, world!"]]"#,
            msgpackHex: "9530ce00773bf780b6636f6d2e6d796170702e6d7970726f6365647572653191ad48656c6c6f2c20776f726c6421"),
        Sample(
            description: "CHALLENGE with empty Extra (basic profile)", code: 4,
            json: #"[4,"wampcra",{}]"#,
            msgpackHex: "9304a777616d7063726180"),
        Sample(
            description: "ERROR with empty Details (basic profile)", code: 8,
            json: #"[8,48,7814135,{},"com.myapp.error"]"#,
            msgpackHex: "950830ce00773bf780af636f6d2e6d796170702e6572726f72"),
        Sample(
            description: "EVENT with positional args only", code: 36,
            json: #"[36,9823526,112233445566,{},["Hello, event!"]]"#,
            msgpackHex: "9524ce0095e526cf0000001a21a278be8091ad48656c6c6f2c206576656e7421"),
        Sample(
            description: "EVENT with transparent payload (encrypted E2E)", code: 36,
            json: #"[36,5647382910,998877665544,{"enc_algo":"cryptobox","enc_serializer":"msgpack"},"\u0000g6Vjb2xvcqRibHVlpHNpemWlbGFyZ2WlY291bnQe"]"#,
            msgpackHex: "9524cf00000001509c397ecf000000e891bf990882a8656e635f616c676fa963727970746f626f78ae656e635f736572" + "69616c697a6572a76d73677061636bc41e83a5636f6c6f72a4626c7565a473697a65a56c61726765a5636f756e741e"),
        Sample(
            description: "EVENT with forward_for (router-to-router link)", code: 36,
            json: #"[36,7418529630,556677889900,{"forward_for":[{"session":2468013579,"authid":"frontend1","authrole":"user"}]},[100,"data"]]"#,
            msgpackHex: "9524cf00000001ba2dc75ecf000000819c967f6c81ab666f72776172645f666f729183a773657373696f6ece931ae60b" + "a6617574686964a966726f6e74656e6431a861757468726f6c65a4757365729264a464617461"),
        Sample(
            description: "EVENT with both forward_for and E2EE (advanced R-Link + encryption)", code: 36,
            json: #"[36,1357924680,987654321098,{"forward_for":[{"session":3692581470,"authid":"router2","authrole":"router"}],"enc_algo":"cryptobox","enc_serializer":"cbor"},"\u0000omZzdGF0dXNpZm9yd2FyZGVkZGhvcHMC"]"#,
            msgpackHex: "9524ce50f04948cf000000e5f4c8f3ca83ab666f72776172645f666f729183a773657373696f6ecedc18525ea6617574" + "686964a7726f7574657232a861757468726f6c65a6726f75746572a8656e635f616c676fa963727970746f626f78ae65" + "6e635f73657269616c697a6572a463626f72c418a26673746174757369666f7277617264656464686f707302"),
        Sample(
            description: "GOODBYE with empty Details (basic profile)", code: 6,
            json: #"[6,{},"wamp.close.normal"]"#,
            msgpackHex: "930680b177616d702e636c6f73652e6e6f726d616c"),
        Sample(
            description: "HELLO with minimal roles (basic profile)", code: 1,
            json: #"[1,"com.example.realm",{"roles":{"subscriber":{},"publisher":{}}}]"#,
            msgpackHex: "9301b1636f6d2e6578616d706c652e7265616c6d81a5726f6c657382aa7375627363726962657280a97075626c697368" + "657280"),
        Sample(
            description: "INVOCATION with empty Details (basic profile)", code: 68,
            json: #"[68,6131533,9823526,{}]"#,
            msgpackHex: "9444ce005d8f4dce0095e52680"),
        Sample(
            description: "PUBLISH with positional args only", code: 16,
            json: #"[16,239714735,{},"com.myapp.mytopic1",["Hello, world!"]]"#,
            msgpackHex: "9510ce0e49c1af80b2636f6d2e6d796170702e6d79746f7069633191ad48656c6c6f2c20776f726c6421"),
        Sample(
            description: "PUBLISH with transparent payload (encrypted E2E)", code: 16,
            json: #"[16,123456789,{"enc_algo":"cryptobox","enc_serializer":"msgpack"},"com.myapp.encrypted","\u0000gqVjb2xvcqZvcmFuZ2Wlc2l6ZXOTFwAqBw=="]"#,
            msgpackHex: "9510ce075bcd1582a8656e635f616c676fa963727970746f626f78ae656e635f73657269616c697a6572a76d73677061" + "636bb3636f6d2e6d796170702e656e63727970746564c41982a5636f6c6f72a66f72616e6765a573697a65739317002a" + "07"),
        Sample(
            description: "PUBLISH with forward_for (router-to-router link)", code: 16,
            json: #"[16,987654321,{"forward_for":[{"session":3456789012,"authid":"client1","authrole":"frontend"}]},"com.myapp.topic2",[42,"test"]]"#,
            msgpackHex: "9510ce3ade68b181ab666f72776172645f666f729183a773657373696f6ecece0a6a14a6617574686964a7636c69656e" + "7431a861757468726f6c65a866726f6e74656e64b0636f6d2e6d796170702e746f70696332922aa474657374"),
        Sample(
            description: "PUBLISH with both forward_for and E2EE (advanced R-Link + encryption)", code: 16,
            json: #"[16,555666777,{"enc_algo":"cryptobox","enc_serializer":"cbor","forward_for":[{"session":8901234567,"authid":"router1","authrole":"router"}]},"com.myapp.secure","\u0000oWZub3RpY2Vxcm91dGVyMSBmb3J3YXJkZWQ="]"#,
            msgpackHex: "9510ce211ecd5983a8656e635f616c676fa963727970746f626f78ae656e635f73657269616c697a6572a463626f72ab" + "666f72776172645f666f729183a773657373696f6ecf00000002128e0f87a6617574686964a7726f7574657231a86175" + "7468726f6c65a6726f75746572b0636f6d2e6d796170702e736563757265c41aa1666e6f7469636571726f7574657231" + "20666f72776172646564"),
        Sample(
            description: "PUBLISH with no payload (signal only)", code: 16,
            json: #"[16,987654321,{},"com.myapp.signal"]"#,
            msgpackHex: "9410ce3ade68b180b0636f6d2e6d796170702e7369676e616c"),
        Sample(
            description: "PUBLISH with both args and kwargs", code: 16,
            json: #"[16,111222333,{},"com.myapp.data",["Alice",30],{"role":"admin","active":true}]"#,
            msgpackHex: "9610ce06a11e3d80ae636f6d2e6d796170702e6461746192a5416c6963651e82a4726f6c65a561646d696ea661637469" + "7665c3"),
        Sample(
            description: "PUBLISH with args, kwargs, and acknowledge option", code: 16,
            json: #"[16,444555666,{"acknowledge":true},"com.myapp.important",[100,"critical"],{"priority":"high","count":5}]"#,
            msgpackHex: "9610ce1a7f619281ab61636b6e6f776c65646765c3b3636f6d2e6d796170702e696d706f7274616e749264a863726974" + "6963616c82a87072696f72697479a468696768a5636f756e7405"),
        Sample(
            description: "PUBLISHED acknowledgment", code: 17,
            json: #"[17,239714735,4429313566]"#,
            msgpackHex: "9311ce0e49c1afcf000000010801f61e"),
        Sample(
            description: "REGISTER without Options (basic profile)", code: 64,
            json: #"[64,25349185,{},"com.myapp.myprocedure1"]"#,
            msgpackHex: "9440ce0182cc4180b6636f6d2e6d796170702e6d7970726f63656475726531"),
        Sample(
            description: "REGISTERED acknowledgment", code: 65,
            json: #"[65,25349185,2103333224]"#,
            msgpackHex: "9341ce0182cc41ce7d5e5168"),
        Sample(
            description: "RESULT with positional args only", code: 50,
            json: #"[50,7814135,{},["Hello, world!"]]"#,
            msgpackHex: "9432ce00773bf78091ad48656c6c6f2c20776f726c6421"),
        Sample(
            description: "SUBSCRIBE to topic with empty options", code: 32,
            json: #"[32,713845233,{},"com.myapp.mytopic1"]"#,
            msgpackHex: "9420ce2a8c69f180b2636f6d2e6d796170702e6d79746f70696331"),
        Sample(
            description: "SUBSCRIBED acknowledgment", code: 33,
            json: #"[33,713845233,5512315355]"#,
            msgpackHex: "9321ce2a8c69f1cf00000001488f41db"),
        Sample(
            description: "UNREGISTER without Options (basic profile)", code: 66,
            json: #"[66,788923562,2103333224]"#,
            msgpackHex: "9342ce2f0604aace7d5e5168"),
        Sample(
            description: "UNREGISTERED acknowledgment", code: 67,
            json: #"[67,788923562]"#,
            msgpackHex: "9243ce2f0604aa"),
        Sample(
            description: "UNSUBSCRIBE without Options", code: 34,
            json: #"[34,85346237,5512315355]"#,
            msgpackHex: "9322ce051647bdcf00000001488f41db"),
        Sample(
            description: "UNSUBSCRIBED acknowledgment", code: 35,
            json: #"[35,85346237]"#,
            msgpackHex: "9223ce051647bd"),
        Sample(
            description: "WELCOME with minimal roles (basic profile)", code: 2,
            json: #"[2,9129137332,{"roles":{"broker":{},"dealer":{}}}]"#,
            msgpackHex: "9302cf00000002202394b481a5726f6c657382a662726f6b657280a66465616c657280"),
        Sample(
            description: "YIELD with empty Options (basic profile)", code: 70,
            json: #"[70,6131533,{}]"#,
            msgpackHex: "9346ce005d8f4d80"),
    ]
}
