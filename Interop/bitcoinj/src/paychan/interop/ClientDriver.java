package paychan.interop;

import com.google.protobuf.ByteString;
import org.bitcoinj.core.*;
import org.bitcoinj.protocols.channels.*;
import org.bitcoinj.script.Script;
import org.bitcoinj.wallet.Wallet;

import java.net.InetSocketAddress;
import java.util.*;
import java.util.concurrent.TimeUnit;

import static paychan.interop.Common.*;

/**
 * Opens a channel with bitcoinj's PaymentChannelClientConnection, pays, settles, and prints JSON lines:
 * broadcasts as they happen, then one {"event":"result",...} line. Exit 0 when everything was acknowledged
 * and a settlement came back, 1 otherwise.
 *
 * Arguments: --server HOST:PORT --protocol 1|2 [--channel-value SAT] [--payments N] [--amount SAT] [--info TEXT]
 */
public final class ClientDriver {
    public static void main(String[] argv) throws Exception {
        Map<String, String> a = args(argv);
        String[] hp = a.get("server").split(":");
        final int protocol = Integer.parseInt(a.getOrDefault("protocol", "2"));
        Coin channelValue = Coin.valueOf(Long.parseLong(a.getOrDefault("channel-value", "1000000")));
        int payments = Integer.parseInt(a.getOrDefault("payments", "3"));
        Coin amount = Coin.valueOf(Long.parseLong(a.getOrDefault("amount", "10000")));
        String info = a.get("info");

        context();
        StubBroadcaster broadcaster = new StubBroadcaster("bitcoinj-client");
        Wallet wallet = Wallet.createDeterministic(PARAMS, Script.ScriptType.P2PKH);
        wallet.addExtension(new StoredPaymentChannelClientStates(wallet, broadcaster));
        ECKey myKey = new ECKey();
        wallet.importKey(myKey);
        Transaction funding = fakeFunding(myKey, Coin.valueOf(10_000_000));
        wallet.receivePending(funding, null);

        PaymentChannelClient.DefaultClientChannelProperties props = new PaymentChannelClient.DefaultClientChannelProperties() {
            @Override
            public PaymentChannelClient.VersionSelector versionSelector() {
                return protocol == 1 ? PaymentChannelClient.VersionSelector.VERSION_1
                        : PaymentChannelClient.VersionSelector.VERSION_2;
            }
        };
        String error = null;
        List<String> acks = new ArrayList<>();
        PaymentChannelClientConnection conn = null;
        Transaction settlement = null;
        Sha256Hash contractId = null;
        Coin spent = Coin.ZERO;
        try {
            conn = new PaymentChannelClientConnection(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 30,
                    wallet, myKey, channelValue, "paychan-interop-" + System.nanoTime(), null, props);
            conn.getChannelOpenFuture().get(30, TimeUnit.SECONDS);
            contractId = conn.state().getContract().getTxId();
            emit(obj("event", "open", "contract_txid", contractId.toString(),
                    "initial_spent", conn.state().getValueSpent().value, "state_class", conn.state().getClass().getSimpleName()));
            for (int i = 0; i < payments; i++) {
                ByteString infoBytes = info == null ? null : ByteString.copyFromUtf8(info + "-" + i);
                PaymentIncrementAck ack = conn.incrementPayment(amount, infoBytes, null).get(30, TimeUnit.SECONDS);
                String ackInfo = ack.getInfo() == null ? null : ack.getInfo().toStringUtf8();
                String line = obj("value", ack.getValue().value, "info", ackInfo);
                acks.add(line);
                emit(obj("event", "ack", "value", ack.getValue().value, "info", ackInfo));
            }
            spent = conn.state().getValueSpent();
            conn.settle();
            long deadline = System.currentTimeMillis() + 20_000;
            while (settlement == null && System.currentTimeMillis() < deadline) {
                for (Transaction tx : wallet.getTransactions(true)) {
                    for (TransactionInput in : tx.getInputs()) {
                        if (in.getOutpoint().getHash().equals(contractId)) settlement = tx;
                    }
                }
                if (settlement == null) Thread.sleep(100);
            }
            if (settlement == null) error = "no settlement transaction came back in CLOSE";
        } catch (Exception e) {
            error = e.toString();
            if (e.getCause() != null) error += " caused by " + e.getCause();
        }
        StringBuilder ackArray = new StringBuilder("[");
        for (String s : acks) { if (ackArray.length() > 1) ackArray.append(','); ackArray.append(s); }
        ackArray.append(']');
        emit(obj("event", "result", "protocol", protocol, "channel_value", channelValue.value,
                "contract_txid", contractId == null ? null : contractId.toString(),
                "client_key", myKey.getPublicKeyAsHex(),
                "client_refund_script", Utils.HEX.encode(org.bitcoinj.script.ScriptBuilder
                        .createOutputScript(LegacyAddress.fromKey(PARAMS, myKey)).getProgram()),
                "acks", new Raw(ackArray.toString()), "value_spent", spent.value,
                "settlement", settlement == null ? null : new Raw(describeTx(settlement)),
                "error", error));
        System.exit(error == null && acks.size() == payments ? 0 : 1);
    }
}
