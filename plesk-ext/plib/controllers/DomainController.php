<?php
/** The button on each domain's page: opens that domain in the panel for whoever may manage it. */
class DomainController extends pm_Controller_Action
{
    protected $_accessLevel = ['admin', 'reseller', 'client'];

    public function openAction()
    {
        // contextParams => true makes Plesk pass the domain as site_id; older pages use dom_id.
        $domainId = $this->getRequest()->getParam('site_id', $this->getRequest()->getParam('dom_id'));
        $launch = Modules_PassengerPanel_Launch::forClaims(Modules_PassengerPanel_Access::forDomain($domainId));
        if ($launch['method'] === 'get') {
            $this->redirect($launch['url'], ['prependBase' => false]);
            return;
        }
        // Resellers with many domains: the token is too long for a URL, so views/scripts/domain/open.phtml posts it.
        $this->view->pageTitle = 'Passenger Panel';
        $this->view->launch = $launch;
    }
}
