package paychan.interop;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import org.bitcoinj.core.*;
import org.bitcoinj.protocols.channels.*;
import org.bitcoinj.script.Script;
import org.bitcoinj.wallet.Wallet;

import java.net.ServerSocket;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static paychan.interop.Common.*;

/**
 * Runs bitcoinj's PaymentChannelServerListener and prints JSON lines: "listening", "open", "payment", "broadcast"
 * (contract and settlement), "closed". Exits after --channels closed connections (default 1), or after --timeout
 * seconds (default 120) with status 1.
 *
 * Arguments: [--port P] [--min-channel SAT] [--channels N] [--timeout S]
 */
public final class ServerDriver {
    public static void main(String[] argv) throws Exception {
        Map<String, String> a = args(argv);
        int port = Integer.parseInt(a.getOrDefault("port", "0"));
        Coin minChannel = Coin.valueOf(Long.parseLong(a.getOrDefault("min-channel", "100000")));
        int channels = Integer.parseInt(a.getOrDefault("channels", "1"));
        int timeout = Integer.parseInt(a.getOrDefault("timeout", "120"));

        context();
        StubBroadcaster broadcaster = new StubBroadcaster("bitcoinj-server");
        Wallet wallet = Wallet.createDeterministic(PARAMS, Script.ScriptType.P2PKH);
        wallet.addExtension(new StoredPaymentChannelServerStates(wallet, broadcaster));
        final String payoutScript = Utils.HEX.encode(
                org.bitcoinj.script.ScriptBuilder.createOutputScript(wallet.currentChangeAddress()).getProgram());

        final CountDownLatch closed = new CountDownLatch(channels);
        PaymentChannelServerListener listener = new PaymentChannelServerListener(broadcaster, wallet, 30, minChannel,
                new PaymentChannelServerListener.HandlerFactory() {
                    @Override
                    public ServerConnectionEventHandler onNewConnection(final SocketAddress client) {
                        return new ServerConnectionEventHandler() {
                            @Override
                            public void channelOpen(Sha256Hash channelId) {
                                emit(obj("event", "open", "contract_txid", channelId.toString()));
                            }

                            @Override
                            public ListenableFuture<ByteString> paymentIncrease(Coin by, Coin to, ByteString info) {
                                emit(obj("event", "payment", "by", by.value, "to", to.value,
                                        "info", info == null ? null : info.toStringUtf8()));
                                return Futures.immediateFuture(info);
                            }

                            @Override
                            public void channelClosed(PaymentChannelCloseException.CloseReason reason) {
                                emit(obj("event", "closed", "reason", reason.name()));
                                closed.countDown();
                            }
                        };
                    }
                });
        if (port == 0) {
            // bindAndStart binds the wildcard address and does not report the port: pick a free one first.
            try (ServerSocket probe = new ServerSocket(0)) { port = probe.getLocalPort(); }
        }
        listener.bindAndStart(port);
        emit(obj("event", "listening", "port", port, "payout_script", payoutScript));
        boolean done = closed.await(timeout, TimeUnit.SECONDS);
        Thread.sleep(300);
        for (Transaction tx : broadcaster.broadcast)
            emit(obj("event", "tx", "tx", new Raw(describeTx(tx))));
        listener.close();
        emit(obj("event", "exit", "ok", done));
        System.exit(done ? 0 : 1);
    }
}
