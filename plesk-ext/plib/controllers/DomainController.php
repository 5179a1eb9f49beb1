<?php
/** The button on each domain's page: opens that domain in the panel for whoever may manage it. */
class DomainController extends pm_Controller_Action
{
    protected $_accessLevel = ['admin', 'reseller', 'client'];

    public function openAction()
    {
        // contextParams => true makes Plesk pass the domain as site_id; older pages use dom_id.
        $domainId = $this->getRequest()->getParam('site_id', $this->getRequest()->getParam('dom_id'));
        // views/scripts/domain/open.phtml posts the token (never in a URL: see Launch).
        $this->view->pageTitle = 'Passenger Panel';
        $this->view->launch = Modules_PassengerPanel_Launch::forClaims(Modules_PassengerPanel_Access::forDomain($domainId));
    }
}
